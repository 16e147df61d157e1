{{/*
Where the scope's changes waited: the waterfalls of the changes whose first
successful deployment in scope finished in [from, to), summed per segment
and per pipeline stage, for every week (by deployment finish, ISO weeks) and
for the whole window (period 'all'). The waterfalls are stored per cell and
team (refresh_waterfalls.sql) under the current generations of the scope's
cells, {generations:Array(UInt64)}; a change's is the one from the earliest
of its first deployments by the scope's teams.

Per period: changes, their total lead time and waiting time; per segment (in
the order of {segments:Array(String)}) the total seconds, how many changes
had it and the median seconds among those; per (pipeline, stage) the waiting
and the active seconds.
*/}}
WITH
{{template "stored_facts" "wait_waterfalls"}},
{{template "window_waterfalls" .}},
    -- One row per change. A change's seconds in each segment are summed
    -- within its own arrays; no lambda here reads another column, since
    -- ClickHouse copies a captured array for every element it maps.
    per_change AS (
        SELECT
            bucket,
            (e_ns - s_ns) / 1e9                                                            AS lead_seconds,
            arraySum(arrayMap(x -> if(x.2 = 'waiting', x.6 - x.5, 0), segments)) / 1e9     AS waiting_seconds,
            arrayReduce('sumMap', [arrayMap(x -> x.1, segments)], [arrayMap(x -> x.6 - x.5, segments)]) AS by_segment,
            arrayFilter(x -> x.3 != '' OR x.4 != '', segments)                             AS staged,
            arrayMap(x -> concat(x.3, '\t', x.4), staged)                                  AS stage_names,
            arrayMap(x -> if(x.2 = 'waiting', x.6 - x.5, 0) / 1e9, staged)                 AS stage_waiting,
            arrayMap(x -> if(x.2 = 'active', x.6 - x.5, 0) / 1e9, staged)                  AS stage_active
        FROM waterfalls
    ),
    -- Each change once with name '', and once per segment it has.
    per_segment AS (
        SELECT period, item.1 AS name, item.2 AS seconds, lead_seconds, waiting_seconds, stage_names, stage_waiting, stage_active
        FROM per_change
        ARRAY JOIN [toString(bucket), 'all'] AS period
        ARRAY JOIN arrayConcat([('', 0.)], arrayZip(by_segment.1, arrayMap(v -> v / 1e9, by_segment.2))) AS item
    ),
    periods AS (
        SELECT
            period,
            countIf(name = '')                                                            AS changes,
            sumIf(lead_seconds, name = '')                                                AS lead_seconds,
            sumIf(waiting_seconds, name = '')                                             AS waiting_seconds,
            sumMapIf(map(name, seconds), name != '')                                      AS segment_totals,
            sumMapIf(map(name, toUInt64(1)), name != '' AND seconds > 0)                  AS segment_counts,
            quantileExactInclusiveMapIf(0.5)(map(name, seconds), name != '' AND seconds > 0) AS segment_quantiles,
            sumMapIf(stage_names, stage_waiting, stage_active, name = '')                 AS stage_map
        FROM per_segment
        GROUP BY period
    )
SELECT
    period,
    changes,
    lead_seconds,
    waiting_seconds,
    arrayMap(n -> segment_totals[n], {segments:Array(String)})                     AS segment_seconds,
    arrayMap(n -> segment_counts[n], {segments:Array(String)})                     AS segment_changes,
    arrayMap(n -> segment_quantiles[n], {segments:Array(String)})                  AS segment_medians,
    stage_map.1                                                                    AS stages,
    stage_map.2                                                                    AS stage_waiting_seconds,
    stage_map.3                                                                    AS stage_active_seconds
FROM periods
ORDER BY period
