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
    per_change AS (
        SELECT bucket, (e_ns - s_ns) / 1e9 AS lead_seconds, waiting_seconds, segment_seconds AS segment_map,
               stage_names, stage_waiting, stage_active
        FROM waterfalls
    ),
    -- Per period (each change's week, and 'all'): segment maps summed and
    -- their medians taken key by key.
    periods AS (
        SELECT
            period,
            count()                                                          AS changes,
            sum(lead_seconds)                                                AS lead_seconds,
            sum(waiting_seconds)                                             AS waiting_seconds,
            sumMap(segment_map)                                              AS segment_totals,
            sumMap(mapApply((k, v) -> (k, toUInt64(1)), segment_map))        AS segment_counts,
            quantileExactInclusiveMap(0.5)(segment_map)                      AS segment_quantiles,
            sumMap(stage_names, stage_waiting, stage_active)                 AS stage_map
        FROM per_change
        ARRAY JOIN [toString(bucket), 'all'] AS period
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
