-- deploylens schema 5: lookups for linking changes, deployments and pipeline
-- stages.
--
-- A deployment that lists commits instead of changes, or only its deployed
-- commit, reaches its changes through the commits they name; a change's wait
-- breakdown reaches its pipeline stages through the change ids and commits
-- the stages name. Both lookups would otherwise read every change or every
-- stage. change_commits (commit → change) and stage_keys (change id or commit
-- → stage) are ordered by the looked-up key, filled by materialized views on
-- every insert, and backfilled from the rows stored before this migration
-- (run again, a backfill only adds rows that the ReplacingMergeTree
-- collapses; readers take DISTINCT). Lookups ask for thousands of scattered
-- keys at once, so granules and compressed blocks are small: a key costs a
-- few kilobytes read instead of a whole default granule.

CREATE TABLE IF NOT EXISTS change_commits {{onCluster}}
(
    commit       String,
    change_id    String,
    observed_at  DateTime64(9, 'UTC')
)
ENGINE = {{engine "ReplacingMergeTree(observed_at)"}}
{{shardKey "cityHash64(change_id)"}}
PRIMARY KEY commit
ORDER BY (commit, change_id)
SETTINGS index_granularity = 128, min_compress_block_size = 4096, max_compress_block_size = 65536;

CREATE MATERIALIZED VIEW IF NOT EXISTS change_commits_mv {{onCluster}} TO {{table "change_commits"}} AS
SELECT commit, change_id, observed_at
FROM {{table "changes"}}
ARRAY JOIN arrayFilter(c -> c != '', arrayDistinct(arrayConcat([merge_commit], commits))) AS commit;

INSERT INTO change_commits (commit, change_id, observed_at)
SELECT commit, change_id, observed_at
FROM changes
ARRAY JOIN arrayFilter(c -> c != '', arrayDistinct(arrayConcat([merge_commit], commits))) AS commit;

CREATE TABLE IF NOT EXISTS stage_keys {{onCluster}}
(
    key          String,
    pipeline     LowCardinality(String),
    run_id       String,
    stage        LowCardinality(String),
    observed_at  DateTime64(9, 'UTC')
)
ENGINE = {{engine "ReplacingMergeTree(observed_at)"}}
{{shardKey "cityHash64(pipeline, run_id)"}}
PRIMARY KEY key
ORDER BY (key, pipeline, run_id, stage)
SETTINGS index_granularity = 128, min_compress_block_size = 4096, max_compress_block_size = 65536;

CREATE MATERIALIZED VIEW IF NOT EXISTS stage_keys_mv {{onCluster}} TO {{table "stage_keys"}} AS
SELECT key, pipeline, run_id, stage, observed_at
FROM {{table "pipeline_stages"}}
ARRAY JOIN arrayFilter(k -> k != '', arrayDistinct(arrayConcat(change_ids, [commit]))) AS key;

INSERT INTO stage_keys (key, pipeline, run_id, stage, observed_at)
SELECT key, pipeline, run_id, stage, observed_at
FROM pipeline_stages
ARRAY JOIN arrayFilter(k -> k != '', arrayDistinct(arrayConcat(change_ids, [commit]))) AS key;
