-- deploylens schema 6: stored canary configs.
--
-- A canary config (the metrics an analysis measures and how the judge treats
-- them) is stored under a name that analyses reference; it belongs to one
-- team. Every write is a new row; the latest by updated_at wins, and a
-- deletion is a row with deleted = true.

CREATE TABLE IF NOT EXISTS canary_configs {{onCluster}}
(
    name        String,
    team        LowCardinality(String),
    updated_at  DateTime64(3, 'UTC'),
    deleted     Bool,
    config      String CODEC(ZSTD(3))
)
ENGINE = {{engine "ReplacingMergeTree(updated_at)"}}
{{shardKey "cityHash64(name)"}}
ORDER BY name;
