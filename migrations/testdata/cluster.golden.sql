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

CREATE TABLE IF NOT EXISTS otel_traces_local ON CLUSTER `deploylens`
(
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    ResourceAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(ResourceAttributes, 'Array(Tuple(String, String))')),
    SpanAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(SpanAttributes, 'Array(Tuple(String, String))')),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1,
    INDEX idx_lower_span_name lower(SpanName) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/otel_traces_local', '{replica}')

PARTITION BY toDate(Timestamp)
PRIMARY KEY (ServiceName, SpanName, toDateTime(Timestamp))
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS otel_traces ON CLUSTER `deploylens` AS otel_traces_local ENGINE = Distributed('deploylens', currentDatabase(), otel_traces_local, cityHash64(TraceId));

CREATE TABLE IF NOT EXISTS otel_traces_trace_id_ts_local ON CLUSTER `deploylens`
(
    TraceId String CODEC(ZSTD(1)),
    Start SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1)),
    End SimpleAggregateFunction(max, DateTime) CODEC(ZSTD(1))
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/otel_traces_trace_id_ts_local', '{replica}')

PARTITION BY toStartOfWeek(Start)
ORDER BY (TraceId)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS otel_traces_trace_id_ts ON CLUSTER `deploylens` AS otel_traces_trace_id_ts_local ENGINE = Distributed('deploylens', currentDatabase(), otel_traces_trace_id_ts_local, cityHash64(TraceId));

CREATE MATERIALIZED VIEW IF NOT EXISTS otel_traces_trace_id_ts_mv ON CLUSTER `deploylens`
TO otel_traces_trace_id_ts_local
AS SELECT
    TraceId,
    min(Timestamp) AS Start,
    max(Timestamp) AS End
FROM otel_traces_local
WHERE TraceId != ''
GROUP BY TraceId;

CREATE TABLE IF NOT EXISTS otel_logs_local ON CLUSTER `deploylens`
(
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    TraceFlags UInt8,
    SeverityText LowCardinality(String) CODEC(ZSTD(1)),
    SeverityNumber UInt8,
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Body String CODEC(ZSTD(1)),
    ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    EventName String CODEC(ZSTD(1)),
    `__otel_materialized_k8s.cluster.name` LowCardinality(String) MATERIALIZED ResourceAttributes['k8s.cluster.name'] CODEC(ZSTD(1)),
    `__otel_materialized_k8s.container.name` LowCardinality(String) MATERIALIZED ResourceAttributes['k8s.container.name'] CODEC(ZSTD(1)),
    `__otel_materialized_k8s.deployment.name` LowCardinality(String) MATERIALIZED ResourceAttributes['k8s.deployment.name'] CODEC(ZSTD(1)),
    `__otel_materialized_k8s.namespace.name` LowCardinality(String) MATERIALIZED ResourceAttributes['k8s.namespace.name'] CODEC(ZSTD(1)),
    `__otel_materialized_k8s.node.name` LowCardinality(String) MATERIALIZED ResourceAttributes['k8s.node.name'] CODEC(ZSTD(1)),
    `__otel_materialized_k8s.pod.name` LowCardinality(String) MATERIALIZED ResourceAttributes['k8s.pod.name'] CODEC(ZSTD(1)),
    `__otel_materialized_k8s.pod.uid` LowCardinality(String) MATERIALIZED ResourceAttributes['k8s.pod.uid'] CODEC(ZSTD(1)),
    `__otel_materialized_deployment.environment.name` LowCardinality(String) MATERIALIZED ResourceAttributes['deployment.environment.name'] CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_lower_body lower(Body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/otel_logs_local', '{replica}')

PARTITION BY toDate(Timestamp)
ORDER BY (toStartOfFiveMinutes(Timestamp), ServiceName, Timestamp)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS otel_logs ON CLUSTER `deploylens` AS otel_logs_local ENGINE = Distributed('deploylens', currentDatabase(), otel_logs_local, rand());

CREATE TABLE IF NOT EXISTS otel_metrics_gauge_local ON CLUSTER `deploylens`
(
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime CODEC(Delta, ZSTD(1)),
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime,
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_time_minmax TimeUnix TYPE minmax GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/otel_metrics_gauge_local', '{replica}')

PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS otel_metrics_gauge ON CLUSTER `deploylens` AS otel_metrics_gauge_local ENGINE = Distributed('deploylens', currentDatabase(), otel_metrics_gauge_local, cityHash64(ServiceName, MetricName, Attributes));

CREATE TABLE IF NOT EXISTS otel_metrics_sum_local ON CLUSTER `deploylens`
(
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime CODEC(Delta, ZSTD(1)),
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime,
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    IsMonotonic Boolean CODEC(Delta, ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_time_minmax TimeUnix TYPE minmax GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/otel_metrics_sum_local', '{replica}')

PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS otel_metrics_sum ON CLUSTER `deploylens` AS otel_metrics_sum_local ENGINE = Distributed('deploylens', currentDatabase(), otel_metrics_sum_local, cityHash64(ServiceName, MetricName, Attributes));

CREATE TABLE IF NOT EXISTS otel_metrics_histogram_local ON CLUSTER `deploylens`
(
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime CODEC(Delta, ZSTD(1)),
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    BucketCounts Array(UInt64) CODEC(ZSTD(1)),
    ExplicitBounds Array(Float64) CODEC(ZSTD(1)),
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime,
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_time_minmax TimeUnix TYPE minmax GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/otel_metrics_histogram_local', '{replica}')

PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS otel_metrics_histogram ON CLUSTER `deploylens` AS otel_metrics_histogram_local ENGINE = Distributed('deploylens', currentDatabase(), otel_metrics_histogram_local, cityHash64(ServiceName, MetricName, Attributes));

CREATE TABLE IF NOT EXISTS otel_metrics_exponential_histogram_local ON CLUSTER `deploylens`
(
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime CODEC(Delta, ZSTD(1)),
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    Scale Int32 CODEC(ZSTD(1)),
    ZeroCount UInt64 CODEC(ZSTD(1)),
    PositiveOffset Int32 CODEC(ZSTD(1)),
    PositiveBucketCounts Array(UInt64) CODEC(ZSTD(1)),
    NegativeOffset Int32 CODEC(ZSTD(1)),
    NegativeBucketCounts Array(UInt64) CODEC(ZSTD(1)),
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime,
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_time_minmax TimeUnix TYPE minmax GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/otel_metrics_exponential_histogram_local', '{replica}')

PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS otel_metrics_exponential_histogram ON CLUSTER `deploylens` AS otel_metrics_exponential_histogram_local ENGINE = Distributed('deploylens', currentDatabase(), otel_metrics_exponential_histogram_local, cityHash64(ServiceName, MetricName, Attributes));

CREATE TABLE IF NOT EXISTS otel_metrics_summary_local ON CLUSTER `deploylens`
(
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime CODEC(Delta, ZSTD(1)),
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    ValueAtQuantiles Nested (
        Quantile Float64,
        Value Float64
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_time_minmax TimeUnix TYPE minmax GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/otel_metrics_summary_local', '{replica}')

PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS otel_metrics_summary ON CLUSTER `deploylens` AS otel_metrics_summary_local ENGINE = Distributed('deploylens', currentDatabase(), otel_metrics_summary_local, cityHash64(ServiceName, MetricName, Attributes));

CREATE VIEW IF NOT EXISTS changes_current ON CLUSTER `deploylens` AS
SELECT
    change_id,
    argMaxIf(team, (observed_at, event_id), team != '')                          AS team,
    argMaxIf(service, (observed_at, event_id), service != '')                    AS service,
    argMaxIf(environment, (observed_at, event_id), environment != '')            AS environment,
    argMaxIf(repo, (observed_at, event_id), repo != '')                          AS repo,
    argMaxIf(title, (observed_at, event_id), title != '')                        AS title,
    argMaxIf(author, (observed_at, event_id), author != '')                      AS author,
    argMaxIf(branch, (observed_at, event_id), branch != '')                      AS branch,
    argMaxIf(base_branch, (observed_at, event_id), base_branch != '')            AS base_branch,
    argMaxIf(first_commit_at, (observed_at, event_id), first_commit_at > 0)      AS first_commit_at,
    argMaxIf(opened_at, (observed_at, event_id), opened_at > 0)                  AS opened_at,
    argMaxIf(first_review_at, (observed_at, event_id), first_review_at > 0)      AS first_review_at,
    argMaxIf(approved_at, (observed_at, event_id), approved_at > 0)              AS approved_at,
    argMaxIf(merged_at, (observed_at, event_id), merged_at > 0)                  AS merged_at,
    argMaxIf(merge_commit, (observed_at, event_id), merge_commit != '')          AS merge_commit,
    arraySort(groupUniqArrayArray(commits))                                      AS commits,
    arraySort(groupUniqArrayArray(labels))                                       AS labels,
    max(observed_at)                                                             AS last_observed_at,
    count()                                                                      AS events
FROM changes
GROUP BY change_id;

CREATE VIEW IF NOT EXISTS pipeline_stages_current ON CLUSTER `deploylens` AS
SELECT
    pipeline,
    run_id,
    stage,
    argMaxIf(team, (observed_at, event_id), team != '')                          AS team,
    argMaxIf(service, (observed_at, event_id), service != '')                    AS service,
    argMaxIf(environment, (observed_at, event_id), environment != '')            AS environment,
    argMaxIf(kind, (observed_at, event_id), kind != 'other')                     AS kind,
    argMaxIf(queued_at, (observed_at, event_id), queued_at > 0)                  AS queued_at,
    argMaxIf(started_at, (observed_at, event_id), started_at > 0)                AS started_at,
    argMaxIf(finished_at, (observed_at, event_id), finished_at > 0)              AS finished_at,
    argMaxIf(result, (observed_at, event_id), result != 'unknown')               AS result,
    argMaxIf(commit, (observed_at, event_id), commit != '')                      AS commit,
    arraySort(groupUniqArrayArray(change_ids))                                   AS change_ids,
    max(observed_at)                                                             AS last_observed_at,
    count()                                                                      AS events
FROM pipeline_stages
GROUP BY pipeline, run_id, stage;

CREATE VIEW IF NOT EXISTS deployments_current ON CLUSTER `deploylens` AS
SELECT
    deployment_id,
    argMaxIf(team, (observed_at, event_id), team != '')                          AS team,
    argMaxIf(service, (observed_at, event_id), service != '')                    AS service,
    argMaxIf(environment, (observed_at, event_id), environment != '')            AS environment,
    argMaxIf(version, (observed_at, event_id), version != '')                    AS version,
    argMaxIf(commit, (observed_at, event_id), commit != '')                      AS commit,
    argMaxIf(branch, (observed_at, event_id), branch != '')                      AS branch,
    argMaxIf(repo, (observed_at, event_id), repo != '')                          AS repo,
    argMaxIf(started_at, (observed_at, event_id), started_at > 0)                AS started_at,
    argMaxIf(finished_at, (observed_at, event_id), finished_at > 0)              AS finished_at,
    argMaxIf(status, (observed_at, event_id), status != 'unknown')               AS status,
    argMaxIf(rollback_of, (observed_at, event_id), rollback_of != '')            AS rollback_of,
    max(unplanned)                                                               AS unplanned,
    arraySort(groupUniqArrayArray(change_ids))                                   AS change_ids,
    arraySort(groupUniqArrayArray(commits))                                      AS commits,
    max(observed_at)                                                             AS last_observed_at,
    count()                                                                      AS events
FROM deployments
GROUP BY deployment_id;

CREATE VIEW IF NOT EXISTS incidents_current ON CLUSTER `deploylens` AS
SELECT
    incident_id,
    argMaxIf(team, (observed_at, event_id), team != '')                          AS team,
    argMaxIf(service, (observed_at, event_id), service != '')                    AS service,
    argMaxIf(environment, (observed_at, event_id), environment != '')            AS environment,
    argMaxIf(severity, (observed_at, event_id), severity != '')                  AS severity,
    argMaxIf(title, (observed_at, event_id), title != '')                        AS title,
    argMaxIf(opened_at, (observed_at, event_id), opened_at > 0)                  AS opened_at,
    argMaxIf(resolved_at, (observed_at, event_id), resolved_at > 0)              AS resolved_at,
    argMaxIf(caused_by_deployment, (observed_at, event_id), caused_by_deployment != '') AS caused_by_deployment,
    max(observed_at)                                                             AS last_observed_at,
    count()                                                                      AS events
FROM incidents
GROUP BY incident_id;

CREATE OR REPLACE VIEW changes_current ON CLUSTER `deploylens` AS
SELECT
    change_id,
    argMaxIf(team, (observed_at, event_id), team != '')                          AS team,
    argMaxIf(service, (observed_at, event_id), service != '')                    AS service,
    argMaxIf(environment, (observed_at, event_id), environment != '')            AS environment,
    argMaxIf(repo, (observed_at, event_id), repo != '')                          AS repo,
    argMaxIf(title, (observed_at, event_id), title != '')                        AS title,
    argMaxIf(author, (observed_at, event_id), author != '')                      AS author,
    argMaxIf(branch, (observed_at, event_id), branch != '')                      AS branch,
    argMaxIf(base_branch, (observed_at, event_id), base_branch != '')            AS base_branch,
    minIf(first_commit_at, first_commit_at > 0)                                  AS first_commit_at,
    argMaxIf(opened_at, (observed_at, event_id), opened_at > 0)                  AS opened_at,
    minIf(first_review_at, first_review_at > 0)                                  AS first_review_at,
    argMaxIf(approved_at, (observed_at, event_id), approved_at > 0)              AS approved_at,
    argMaxIf(merged_at, (observed_at, event_id), merged_at > 0)                  AS merged_at,
    argMaxIf(merge_commit, (observed_at, event_id), merge_commit != '')          AS merge_commit,
    arraySort(groupUniqArrayArray(commits))                                      AS commits,
    arraySort(groupUniqArrayArray(labels))                                       AS labels,
    max(observed_at)                                                             AS last_observed_at,
    count()                                                                      AS events
FROM changes
GROUP BY change_id;

CREATE TABLE IF NOT EXISTS change_commits_local ON CLUSTER `deploylens`
(
    commit       String,
    change_id    String,
    observed_at  DateTime64(9, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/change_commits_local', '{replica}', observed_at)

PRIMARY KEY commit
ORDER BY (commit, change_id)
SETTINGS index_granularity = 128, min_compress_block_size = 4096, max_compress_block_size = 65536;

CREATE TABLE IF NOT EXISTS change_commits ON CLUSTER `deploylens` AS change_commits_local ENGINE = Distributed('deploylens', currentDatabase(), change_commits_local, cityHash64(change_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS change_commits_mv ON CLUSTER `deploylens` TO change_commits_local AS
SELECT commit, change_id, observed_at
FROM changes_local
ARRAY JOIN arrayFilter(c -> c != '', arrayDistinct(arrayConcat([merge_commit], commits))) AS commit;

INSERT INTO change_commits (commit, change_id, observed_at)
SELECT commit, change_id, observed_at
FROM changes
ARRAY JOIN arrayFilter(c -> c != '', arrayDistinct(arrayConcat([merge_commit], commits))) AS commit;

CREATE TABLE IF NOT EXISTS stage_keys_local ON CLUSTER `deploylens`
(
    key          String,
    pipeline     LowCardinality(String),
    run_id       String,
    stage        LowCardinality(String),
    observed_at  DateTime64(9, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/stage_keys_local', '{replica}', observed_at)

PRIMARY KEY key
ORDER BY (key, pipeline, run_id, stage)
SETTINGS index_granularity = 128, min_compress_block_size = 4096, max_compress_block_size = 65536;

CREATE TABLE IF NOT EXISTS stage_keys ON CLUSTER `deploylens` AS stage_keys_local ENGINE = Distributed('deploylens', currentDatabase(), stage_keys_local, cityHash64(pipeline, run_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS stage_keys_mv ON CLUSTER `deploylens` TO stage_keys_local AS
SELECT key, pipeline, run_id, stage, observed_at
FROM pipeline_stages_local
ARRAY JOIN arrayFilter(k -> k != '', arrayDistinct(arrayConcat(change_ids, [commit]))) AS key;

INSERT INTO stage_keys (key, pipeline, run_id, stage, observed_at)
SELECT key, pipeline, run_id, stage, observed_at
FROM pipeline_stages
ARRAY JOIN arrayFilter(k -> k != '', arrayDistinct(arrayConcat(change_ids, [commit]))) AS key;

CREATE TABLE IF NOT EXISTS canary_configs_local ON CLUSTER `deploylens`
(
    name        String,
    team        LowCardinality(String),
    updated_at  DateTime64(3, 'UTC'),
    deleted     Bool,
    config      String CODEC(ZSTD(3))
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/canary_configs_local', '{replica}', updated_at)

ORDER BY name;

CREATE TABLE IF NOT EXISTS canary_configs ON CLUSTER `deploylens` AS canary_configs_local ENGINE = Distributed('deploylens', currentDatabase(), canary_configs_local, cityHash64(name));

CREATE TABLE IF NOT EXISTS entity_touches_local ON CLUSTER `deploylens`
(
    at      DateTime64(3, 'UTC'),
    kind    LowCardinality(String),
    ids     Array(Tuple(String, String))
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/entity_touches_local', '{replica}')
PARTITION BY toDate(at)
ORDER BY (at, kind)
TTL toDateTime(at) + toIntervalDay(1)
SETTINGS ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS entity_touches ON CLUSTER `deploylens` AS entity_touches_local ENGINE = Distributed('deploylens', currentDatabase(), entity_touches_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS entity_touches_deployments_mv ON CLUSTER `deploylens` TO entity_touches_local AS
SELECT now64(3) AS at, 'deployment' AS kind, groupUniqArray((deployment_id, '')) AS ids
FROM deployments_local;

CREATE MATERIALIZED VIEW IF NOT EXISTS entity_touches_incidents_mv ON CLUSTER `deploylens` TO entity_touches_local AS
SELECT now64(3) AS at, 'incident' AS kind, groupUniqArray((incident_id, '')) AS ids
FROM incidents_local;

CREATE MATERIALIZED VIEW IF NOT EXISTS entity_touches_changes_mv ON CLUSTER `deploylens` TO entity_touches_local AS
SELECT now64(3) AS at, 'change' AS kind, groupUniqArray((change_id, '')) AS ids
FROM changes_local;

CREATE MATERIALIZED VIEW IF NOT EXISTS entity_touches_pushes_mv ON CLUSTER `deploylens` TO entity_touches_local AS
SELECT now64(3) AS at, 'push' AS kind, groupUniqArray((repo, branch)) AS ids
FROM pushes_local;

CREATE MATERIALIZED VIEW IF NOT EXISTS entity_touches_stages_mv ON CLUSTER `deploylens` TO entity_touches_local AS
SELECT now64(3) AS at, 'stage' AS kind, groupUniqArray((pipeline, run_id)) AS ids
FROM pipeline_stages_local;

CREATE TABLE IF NOT EXISTS cell_marks_local ON CLUSTER `deploylens`
(
    service   String,
    by_stage  Bool,
    at        DateTime64(3, 'UTC')
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/cell_marks_local', '{replica}')
ORDER BY (service, at)
TTL toDateTime(at) + toIntervalDay(7);

CREATE TABLE IF NOT EXISTS cell_marks ON CLUSTER `deploylens` AS cell_marks_local ENGINE = Distributed('deploylens', currentDatabase(), cell_marks_local, rand());

CREATE TABLE IF NOT EXISTS touches_mapped_local ON CLUSTER `deploylens`
(
    upto  DateTime64(3, 'UTC')
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/touches_mapped_local', '{replica}')
ORDER BY upto
TTL toDateTime(upto) + toIntervalDay(7);

CREATE TABLE IF NOT EXISTS touches_mapped ON CLUSTER `deploylens` AS touches_mapped_local ENGINE = Distributed('deploylens', currentDatabase(), touches_mapped_local, rand());

CREATE TABLE IF NOT EXISTS deployment_keys_local ON CLUSTER `deploylens`
(
    key            String,
    deployment_id  String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/deployment_keys_local', '{replica}')

ORDER BY key;

CREATE TABLE IF NOT EXISTS deployment_keys ON CLUSTER `deploylens` AS deployment_keys_local ENGINE = Distributed('deploylens', currentDatabase(), deployment_keys_local, cityHash64(deployment_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS deployment_keys_mv ON CLUSTER `deploylens` TO deployment_keys_local AS
SELECT key, deployment_id
FROM deployments_local
ARRAY JOIN arrayFilter(k -> k != '', arrayDistinct(arrayConcat(change_ids, commits, [commit]))) AS key;

INSERT INTO deployment_keys (key, deployment_id)
SELECT key, deployment_id
FROM deployments
ARRAY JOIN arrayFilter(k -> k != '', arrayDistinct(arrayConcat(change_ids, commits, [commit]))) AS key;

CREATE TABLE IF NOT EXISTS fact_cells_local ON CLUSTER `deploylens`
(
    kind         LowCardinality(String),
    variant      String,
    service      String,
    environment  String,
    generation   UInt64,
    computed_at  DateTime64(3, 'UTC')
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/fact_cells_local', '{replica}')
ORDER BY (kind, variant, service, environment, computed_at);

CREATE TABLE IF NOT EXISTS fact_cells ON CLUSTER `deploylens` AS fact_cells_local ENGINE = Distributed('deploylens', currentDatabase(), fact_cells_local, rand());

CREATE TABLE IF NOT EXISTS dora_facts_local ON CLUSTER `deploylens`
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/dora_facts_local', '{replica}')

PARTITION BY generation
ORDER BY (generation, at, id);

CREATE TABLE IF NOT EXISTS dora_facts ON CLUSTER `deploylens` AS dora_facts_local ENGINE = Distributed('deploylens', currentDatabase(), dora_facts_local, generation);

CREATE TABLE IF NOT EXISTS dora_leads_local ON CLUSTER `deploylens`
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/dora_leads_local', '{replica}')

PARTITION BY generation
ORDER BY (generation, change_id, team);

CREATE TABLE IF NOT EXISTS dora_leads ON CLUSTER `deploylens` AS dora_leads_local ENGINE = Distributed('deploylens', currentDatabase(), dora_leads_local, generation);

CREATE TABLE IF NOT EXISTS wait_waterfalls_local ON CLUSTER `deploylens`
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
    waiting_seconds  Float64,
    segment_seconds  Map(String, Float64),
    stage_names      Array(String),
    stage_waiting    Array(Float64),
    stage_active     Array(Float64)
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/wait_waterfalls_local', '{replica}')

PARTITION BY generation
ORDER BY (generation, change_id, team);

CREATE TABLE IF NOT EXISTS wait_waterfalls ON CLUSTER `deploylens` AS wait_waterfalls_local ENGINE = Distributed('deploylens', currentDatabase(), wait_waterfalls_local, generation);

