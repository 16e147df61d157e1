CREATE TABLE IF NOT EXISTS raw_events_local ON CLUSTER `deploylens`
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/raw_events_local', '{replica}', received_at)

PARTITION BY toYYYYMM(received_at)
ORDER BY (source, delivery_id)
TTL toDateTime(received_at) + toIntervalDay(90);

CREATE TABLE IF NOT EXISTS raw_events ON CLUSTER `deploylens` AS raw_events_local ENGINE = Distributed('deploylens', currentDatabase(), raw_events_local, cityHash64(source, delivery_id));

CREATE TABLE IF NOT EXISTS changes_local ON CLUSTER `deploylens`
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/changes_local', '{replica}', ingested_at)

ORDER BY (change_id, event_id);

CREATE TABLE IF NOT EXISTS changes ON CLUSTER `deploylens` AS changes_local ENGINE = Distributed('deploylens', currentDatabase(), changes_local, cityHash64(change_id));

CREATE TABLE IF NOT EXISTS pipeline_stages_local ON CLUSTER `deploylens`
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/pipeline_stages_local', '{replica}', ingested_at)

ORDER BY (pipeline, run_id, stage, event_id);

CREATE TABLE IF NOT EXISTS pipeline_stages ON CLUSTER `deploylens` AS pipeline_stages_local ENGINE = Distributed('deploylens', currentDatabase(), pipeline_stages_local, cityHash64(pipeline, run_id));

CREATE TABLE IF NOT EXISTS deployments_local ON CLUSTER `deploylens`
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/deployments_local', '{replica}', ingested_at)

ORDER BY (deployment_id, event_id);

CREATE TABLE IF NOT EXISTS deployments ON CLUSTER `deploylens` AS deployments_local ENGINE = Distributed('deploylens', currentDatabase(), deployments_local, cityHash64(deployment_id));

CREATE TABLE IF NOT EXISTS incidents_local ON CLUSTER `deploylens`
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/incidents_local', '{replica}', ingested_at)

ORDER BY (incident_id, event_id);

CREATE TABLE IF NOT EXISTS incidents ON CLUSTER `deploylens` AS incidents_local ENGINE = Distributed('deploylens', currentDatabase(), incidents_local, cityHash64(incident_id));

CREATE TABLE IF NOT EXISTS pushes_local ON CLUSTER `deploylens`
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/pushes_local', '{replica}', ingested_at)

ORDER BY (repo, branch, event_id);

CREATE TABLE IF NOT EXISTS pushes ON CLUSTER `deploylens` AS pushes_local ENGINE = Distributed('deploylens', currentDatabase(), pushes_local, cityHash64(repo, branch));

CREATE TABLE IF NOT EXISTS service_catalog_local ON CLUSTER `deploylens`
(
    service     LowCardinality(String),
    team        LowCardinality(String),
    updated_at  DateTime64(3, 'UTC'),
    deleted     Bool,
    attributes  Map(LowCardinality(String), String)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/service_catalog_local', '{replica}', updated_at)

ORDER BY service;

CREATE TABLE IF NOT EXISTS service_catalog ON CLUSTER `deploylens` AS service_catalog_local ENGINE = Distributed('deploylens', currentDatabase(), service_catalog_local, cityHash64(service));

CREATE TABLE IF NOT EXISTS api_tokens_local ON CLUSTER `deploylens`
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/api_tokens_local', '{replica}', updated_at)

ORDER BY id;

CREATE TABLE IF NOT EXISTS api_tokens ON CLUSTER `deploylens` AS api_tokens_local ENGINE = Distributed('deploylens', currentDatabase(), api_tokens_local, cityHash64(id));

CREATE TABLE IF NOT EXISTS canary_analyses_local ON CLUSTER `deploylens`
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/canary_analyses_local', '{replica}', updated_at)

ORDER BY id;

CREATE TABLE IF NOT EXISTS canary_analyses ON CLUSTER `deploylens` AS canary_analyses_local ENGINE = Distributed('deploylens', currentDatabase(), canary_analyses_local, cityHash64(id));

