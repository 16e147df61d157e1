-- deploylens schema 1: delivery entities, raw events, catalog, tokens, canary analyses.
--
-- Entity tables keep one row per received event (keyed by the entity id, then
-- the event id), so a re-delivered event collapses into one row and a later
-- event for the same entity fills in or overrides fields when the entity is
-- read (argMax over observed_at). Times are UTC; a zero time means "not given".

-- Every request body received, for audit and replay.
CREATE TABLE IF NOT EXISTS raw_events {{onCluster}}
(
    received_at  DateTime64(3, 'UTC'),
    source       LowCardinality(String),
    event_type   LowCardinality(String),
    delivery_id  String,
    team         LowCardinality(String),
    headers      Map(LowCardinality(String), String),
    body         String CODEC(ZSTD(3)),
    outcome      Enum8('stored' = 1, 'stored_raw' = 2, 'ignored' = 3)
)
ENGINE = {{engine "ReplacingMergeTree(received_at)"}}
{{shardKey "cityHash64(source, delivery_id)"}}
PARTITION BY toYYYYMM(received_at)
ORDER BY (source, delivery_id)
{{ttl "toDateTime(received_at)"}};

CREATE TABLE IF NOT EXISTS changes {{onCluster}}
(
    change_id        String,
    event_id         String,
    observed_at      DateTime64(9, 'UTC'),
    ingested_at      DateTime64(3, 'UTC'),
    source           LowCardinality(String),
    team             LowCardinality(String),
    service          LowCardinality(String),
    environment      LowCardinality(String),
    repo             LowCardinality(String),
    title            String,
    author           String,
    branch           String,
    base_branch      String,
    first_commit_at  DateTime64(9, 'UTC'),
    opened_at        DateTime64(9, 'UTC'),
    first_review_at  DateTime64(9, 'UTC'),
    approved_at      DateTime64(9, 'UTC'),
    merged_at        DateTime64(9, 'UTC'),
    merge_commit     String,
    commits          Array(String),
    labels           Array(String),
    attributes       Map(LowCardinality(String), String)
)
ENGINE = {{engine "ReplacingMergeTree(ingested_at)"}}
{{shardKey "cityHash64(change_id)"}}
ORDER BY (change_id, event_id);

CREATE TABLE IF NOT EXISTS pipeline_stages {{onCluster}}
(
    pipeline     LowCardinality(String),
    run_id       String,
    stage        LowCardinality(String),
    event_id     String,
    observed_at  DateTime64(9, 'UTC'),
    ingested_at  DateTime64(3, 'UTC'),
    source       LowCardinality(String),
    team         LowCardinality(String),
    service      LowCardinality(String),
    environment  LowCardinality(String),
    kind         Enum8('other' = 0, 'build' = 1, 'test' = 2, 'approval' = 3, 'deploy' = 4, 'bake' = 5, 'canary' = 6),
    queued_at    DateTime64(9, 'UTC'),
    started_at   DateTime64(9, 'UTC'),
    finished_at  DateTime64(9, 'UTC'),
    result       Enum8('unknown' = 0, 'success' = 1, 'failure' = 2, 'cancelled' = 3, 'skipped' = 4),
    commit       String,
    change_ids   Array(String),
    attributes   Map(LowCardinality(String), String)
)
ENGINE = {{engine "ReplacingMergeTree(ingested_at)"}}
{{shardKey "cityHash64(pipeline, run_id)"}}
ORDER BY (pipeline, run_id, stage, event_id);

CREATE TABLE IF NOT EXISTS deployments {{onCluster}}
(
    deployment_id  String,
    event_id       String,
    observed_at    DateTime64(9, 'UTC'),
    ingested_at    DateTime64(3, 'UTC'),
    source         LowCardinality(String),
    team           LowCardinality(String),
    service        LowCardinality(String),
    environment    LowCardinality(String),
    version        String,
    commit         String,
    branch         String,
    repo           LowCardinality(String),
    started_at     DateTime64(9, 'UTC'),
    finished_at    DateTime64(9, 'UTC'),
    status         Enum8('unknown' = 0, 'success' = 1, 'failure' = 2),
    rollback_of    String,
    unplanned      Bool,
    change_ids     Array(String),
    commits        Array(String),
    attributes     Map(LowCardinality(String), String)
)
ENGINE = {{engine "ReplacingMergeTree(ingested_at)"}}
{{shardKey "cityHash64(deployment_id)"}}
ORDER BY (deployment_id, event_id);

CREATE TABLE IF NOT EXISTS incidents {{onCluster}}
(
    incident_id           String,
    event_id              String,
    observed_at           DateTime64(9, 'UTC'),
    ingested_at           DateTime64(3, 'UTC'),
    source                LowCardinality(String),
    team                  LowCardinality(String),
    service               LowCardinality(String),
    environment           LowCardinality(String),
    severity              LowCardinality(String),
    title                 String,
    opened_at             DateTime64(9, 'UTC'),
    resolved_at           DateTime64(9, 'UTC'),
    caused_by_deployment  String,
    attributes            Map(LowCardinality(String), String)
)
ENGINE = {{engine "ReplacingMergeTree(ingested_at)"}}
{{shardKey "cityHash64(incident_id)"}}
ORDER BY (incident_id, event_id);

-- Commits pushed onto branches: lets a deployment of a commit find the changes
-- it shipped when it does not list them.
CREATE TABLE IF NOT EXISTS pushes {{onCluster}}
(
    repo         LowCardinality(String),
    branch       String,
    event_id     String,
    pushed_at    DateTime64(9, 'UTC'),
    ingested_at  DateTime64(3, 'UTC'),
    source       LowCardinality(String),
    before       String,
    after        String,
    commits      Array(String),
    commit_times Array(DateTime64(9, 'UTC'))
)
ENGINE = {{engine "ReplacingMergeTree(ingested_at)"}}
{{shardKey "cityHash64(repo, branch)"}}
ORDER BY (repo, branch, event_id);

-- The service catalog: which team owns a service.
CREATE TABLE IF NOT EXISTS service_catalog {{onCluster}}
(
    service     LowCardinality(String),
    team        LowCardinality(String),
    updated_at  DateTime64(3, 'UTC'),
    deleted     Bool,
    attributes  Map(LowCardinality(String), String)
)
ENGINE = {{engine "ReplacingMergeTree(updated_at)"}}
{{shardKey "cityHash64(service)"}}
ORDER BY service;

-- API tokens; only a SHA-256 hash of the secret is stored.
CREATE TABLE IF NOT EXISTS api_tokens {{onCluster}}
(
    id           String,
    name         String,
    role         Enum8('admin' = 1, 'ingest' = 2, 'read' = 3),
    teams        Array(String),
    secret_hash  String,
    created_at   DateTime64(3, 'UTC'),
    updated_at   DateTime64(3, 'UTC'),
    revoked      Bool
)
ENGINE = {{engine "ReplacingMergeTree(updated_at)"}}
{{shardKey "cityHash64(id)"}}
ORDER BY id;

CREATE TABLE IF NOT EXISTS canary_analyses {{onCluster}}
(
    id             String,
    created_at     DateTime64(3, 'UTC'),
    updated_at     DateTime64(3, 'UTC'),
    team           LowCardinality(String),
    service        LowCardinality(String),
    environment    LowCardinality(String),
    deployment_id  String,
    status         Enum8('running' = 1, 'completed' = 2, 'failed' = 3, 'cancelled' = 4),
    verdict        LowCardinality(String),
    score          Float64,
    request        String CODEC(ZSTD(3)),
    result         String CODEC(ZSTD(3))
)
ENGINE = {{engine "ReplacingMergeTree(updated_at)"}}
{{shardKey "cityHash64(id)"}}
ORDER BY id;
