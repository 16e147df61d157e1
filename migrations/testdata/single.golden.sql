CREATE TABLE IF NOT EXISTS raw_events 
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
ENGINE = ReplacingMergeTree(received_at)

PARTITION BY toYYYYMM(received_at)
ORDER BY (source, delivery_id);

CREATE TABLE IF NOT EXISTS changes 
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
ENGINE = ReplacingMergeTree(ingested_at)

ORDER BY (change_id, event_id);

CREATE TABLE IF NOT EXISTS pipeline_stages 
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
ENGINE = ReplacingMergeTree(ingested_at)

ORDER BY (pipeline, run_id, stage, event_id);

CREATE TABLE IF NOT EXISTS deployments 
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
ENGINE = ReplacingMergeTree(ingested_at)

ORDER BY (deployment_id, event_id);

CREATE TABLE IF NOT EXISTS incidents 
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
ENGINE = ReplacingMergeTree(ingested_at)

ORDER BY (incident_id, event_id);

CREATE TABLE IF NOT EXISTS pushes 
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
ENGINE = ReplacingMergeTree(ingested_at)

ORDER BY (repo, branch, event_id);

CREATE TABLE IF NOT EXISTS service_catalog 
(
    service     LowCardinality(String),
    team        LowCardinality(String),
    updated_at  DateTime64(3, 'UTC'),
    deleted     Bool,
    attributes  Map(LowCardinality(String), String)
)
ENGINE = ReplacingMergeTree(updated_at)

ORDER BY service;

CREATE TABLE IF NOT EXISTS api_tokens 
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
ENGINE = ReplacingMergeTree(updated_at)

ORDER BY id;

CREATE TABLE IF NOT EXISTS canary_analyses 
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
ENGINE = ReplacingMergeTree(updated_at)

ORDER BY id;

