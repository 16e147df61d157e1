-- deploylens schema 7: facts kept per (service, environment) cell.
--
-- DESIGN.md §6 defines failure, attribution, recovery and the first
-- deployment of a change per service and environment. Computing those facts,
-- and each change's waterfall, live for every answer costs ClickHouse's
-- analyser alone 0.3 s or more per answer, whatever the data, and reads a
-- scope's whole history. So the facts of a cell are computed by the same SQL
-- (query/dora/sql/refresh_*.sql, query/waits/sql/refresh_*.sql), stored under
-- a fresh generation number, and an answer aggregates the stored rows of the
-- current generation of each cell in scope (query/cells).
--
-- A cell is stale when an entity its facts rest on was written after they
-- were computed. entity_touches records, by materialized views on every
-- insert, when each deployment, incident, change, push and pipeline run was
-- last written (ClickHouse's clock at insert). Answers map new touches to
-- the services they reach once, into cell_marks (query/cells/sql/
-- touched.sql); deployment_keys leads a change or a stage written later to
-- the deployments that list or deployed its id or commits.

-- One row per insert into an entity table: when ClickHouse took it, and
-- the entities it wrote (id, and a push's branch or a run's id), kept in
-- one array so that a touch costs an array element rather than a row.
CREATE TABLE IF NOT EXISTS entity_touches {{onCluster}}
(
    at      DateTime64(3, 'UTC'),
    kind    LowCardinality(String),
    ids     Array(Tuple(String, String))
)
ENGINE = {{engine "MergeTree()"}}
PARTITION BY toDate(at)
ORDER BY (at, kind)
-- Kept a day, enough for the next answer to map them into cell_marks (when
-- none did for longer, every cell is computed again: query/cells). Whole
-- days are dropped: a TTL that rewrote parts made ingest's engine CPU per
-- event 25-55% higher than without 0007, against 1-30% without the TTL
-- (bench/README.md).
TTL toDateTime(at) + toIntervalDay(1)
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS entity_touches_deployments_mv {{onCluster}} TO {{table "entity_touches"}} AS
SELECT now64(3) AS at, 'deployment' AS kind, groupUniqArray((deployment_id, '')) AS ids
FROM {{table "deployments"}};

CREATE MATERIALIZED VIEW IF NOT EXISTS entity_touches_incidents_mv {{onCluster}} TO {{table "entity_touches"}} AS
SELECT now64(3) AS at, 'incident' AS kind, groupUniqArray((incident_id, '')) AS ids
FROM {{table "incidents"}};

CREATE MATERIALIZED VIEW IF NOT EXISTS entity_touches_changes_mv {{onCluster}} TO {{table "entity_touches"}} AS
SELECT now64(3) AS at, 'change' AS kind, groupUniqArray((change_id, '')) AS ids
FROM {{table "changes"}};

CREATE MATERIALIZED VIEW IF NOT EXISTS entity_touches_pushes_mv {{onCluster}} TO {{table "entity_touches"}} AS
SELECT now64(3) AS at, 'push' AS kind, groupUniqArray((repo, branch)) AS ids
FROM {{table "pushes"}};

-- A pipeline run: the pipeline and the run.
CREATE MATERIALIZED VIEW IF NOT EXISTS entity_touches_stages_mv {{onCluster}} TO {{table "entity_touches"}} AS
SELECT now64(3) AS at, 'stage' AS kind, groupUniqArray((pipeline, run_id)) AS ids
FROM {{table "pipeline_stages"}};

-- The services the touches reach, as answers map them (query/cells/sql/
-- touched.sql), and up to when touches have been mapped.
CREATE TABLE IF NOT EXISTS cell_marks {{onCluster}}
(
    service   String,
    by_stage  Bool,
    at        DateTime64(3, 'UTC')
)
ENGINE = {{engine "MergeTree()"}}
ORDER BY (service, at)
-- Kept a week: a cell computed longer ago than that is computed again
-- whatever the marks say (query/cells.MarkRetention).
TTL toDateTime(at) + toIntervalDay(7);

CREATE TABLE IF NOT EXISTS touches_mapped {{onCluster}}
(
    upto  DateTime64(3, 'UTC')
)
ENGINE = {{engine "MergeTree()"}}
ORDER BY upto
TTL toDateTime(upto) + toIntervalDay(7);

-- The deployments that list a change id or a commit, or deployed a commit,
-- by that key: how a change or a stage written later reaches the cells
-- whose links or waterfalls it can alter. Read only when answers map
-- writes; default granules keep its cost on every insert low.
CREATE TABLE IF NOT EXISTS deployment_keys {{onCluster}}
(
    key            String,
    deployment_id  String
)
ENGINE = {{engine "MergeTree()"}}
{{shardKey "cityHash64(deployment_id)"}}
ORDER BY key;

CREATE MATERIALIZED VIEW IF NOT EXISTS deployment_keys_mv {{onCluster}} TO {{table "deployment_keys"}} AS
SELECT key, deployment_id
FROM {{table "deployments"}}
ARRAY JOIN arrayFilter(k -> k != '', arrayDistinct(arrayConcat(change_ids, commits, [commit]))) AS key;

INSERT INTO deployment_keys (key, deployment_id)
SELECT key, deployment_id
FROM deployments
ARRAY JOIN arrayFilter(k -> k != '', arrayDistinct(arrayConcat(change_ids, commits, [commit]))) AS key;

-- One row per computation of a cell's facts of one kind (dora, waits) and
-- variant (the settings they depend on, e.g. the attribution window); the
-- latest by computed_at is current. computed_at is ClickHouse's clock when
-- the computation was decided, before it read any data.
CREATE TABLE IF NOT EXISTS fact_cells {{onCluster}}
(
    kind         LowCardinality(String),
    variant      String,
    service      String,
    environment  String,
    generation   UInt64,
    computed_at  DateTime64(3, 'UTC')
)
ENGINE = {{engine "MergeTree()"}}
ORDER BY (kind, variant, service, environment, computed_at);

-- The failure facts of one cell's deployments and unattributed incidents
-- (query/dora/sql/facts.sql), one partition per generation.
CREATE TABLE IF NOT EXISTS dora_facts {{onCluster}}
(
    generation               UInt64,
    service                  String,
    team                     String,
    id                       String,
    is_deployment            Bool,
    at                       DateTime64(9, 'UTC'),
    started_at               DateTime64(9, 'UTC'),
    status                   LowCardinality(String),
    unplanned                Bool,
    unlinked                 Bool,
    skewed_incidents         Array(String),
    rollback_of              String,
    is_rollback              Bool,
    failed                   Bool,
    detected_at              DateTime64(9, 'UTC'),
    next_id                  String,
    next_at                  DateTime64(9, 'UTC'),
    recovered_by_deployment  Bool,
    recovered_at             DateTime64(9, 'UTC')
)
ENGINE = {{engine "MergeTree()"}}
{{shardKey "generation"}}
PARTITION BY generation
ORDER BY (generation, at, id);

-- Each change's first successful deployment in one cell, per team of the
-- deploying deployment, with where its lead time starts.
CREATE TABLE IF NOT EXISTS dora_leads {{onCluster}}
(
    generation     UInt64,
    service        String,
    team           String,
    change_id      String,
    deployed_at    DateTime64(9, 'UTC'),
    deployment_id  String,
    started_from   LowCardinality(String),
    started_at     DateTime64(9, 'UTC')
)
ENGINE = {{engine "MergeTree()"}}
{{shardKey "generation"}}
PARTITION BY generation
ORDER BY (generation, change_id, team);

-- Each change's waterfall (query/waits/sql/waterfall.sql) in one cell, from
-- its first successful deployment there per team of the deploying
-- deployment. segments: (name, state, pipeline, stage, start, end), times
-- in Unix nanoseconds; the seconds waiting, per segment name (those the
-- change had) and per "pipeline<TAB>stage" summed from them.
CREATE TABLE IF NOT EXISTS wait_waterfalls {{onCluster}}
(
    generation     UInt64,
    service        String,
    team           String,
    change_id      String,
    deployment_id  String,
    deployed_at    DateTime64(9, 'UTC'),
    started_from   LowCardinality(String),
    s_ns           Int64,
    e_ns           Int64,
    segments       Array(Tuple(String, String, String, String, Int64, Int64)),
    -- Sums of the segments that reports add up (query/waits/sql/team_waits.sql).
    waiting_seconds  Float64,
    segment_seconds  Map(String, Float64),
    stage_names      Array(String),
    stage_waiting    Array(Float64),
    stage_active     Array(Float64)
)
ENGINE = {{engine "MergeTree()"}}
{{shardKey "generation"}}
PARTITION BY generation
ORDER BY (generation, change_id, team);
