{{/*
Where the scope's changes waited: the waterfalls of the changes whose first
successful deployment in scope finished in [from, to), summed per segment
and per pipeline stage, for every week (by deployment finish, ISO weeks) and
for the whole window (period 'all').

Per period: changes, their total lead time and waiting time; per segment (in
the order of {segments:Array(String)}) the total seconds, how many changes
had it and the median seconds among those; per (pipeline, stage) the waiting
and the active seconds.
*/}}
WITH
{{template "window_waterfalls" .}},
    per_change AS (
        SELECT
            bucket,
            (e_ns - s_ns) / 1e9                                                            AS lead_seconds,
            arraySum(arrayMap(x -> if(x.2 = 'waiting', x.6 - x.5, 0), segments)) / 1e9     AS waiting_seconds,
            arrayMap(n -> arraySum(arrayMap(x -> if(x.1 = n, x.6 - x.5, 0), segments)) / 1e9, {segments:Array(String)}) AS by_segment,
            arrayFilter(x -> x.3 != '' OR x.4 != '', segments)                             AS staged,
            arrayMap(x -> concat(x.3, '\t', x.4), staged)                                  AS stage_names,
            arrayMap(x -> if(x.2 = 'waiting', x.6 - x.5, 0) / 1e9, staged)                 AS stage_waiting,
            arrayMap(x -> if(x.2 = 'active', x.6 - x.5, 0) / 1e9, staged)                  AS stage_active
        FROM waterfalls
    )
SELECT
    period,
    count()                                                                      AS changes,
    sum(lead_seconds)                                                            AS lead_seconds,
    sum(waiting_seconds)                                                         AS waiting_seconds,
    sumForEach(by_segment)                                                       AS segment_seconds,
    countIfForEach(arrayMap(x -> x > 0, by_segment))                             AS segment_changes,
    quantileExactInclusiveIfForEach(0.5)(by_segment, arrayMap(x -> x > 0, by_segment)) AS segment_medians,
    (sumMap(stage_names, stage_waiting, stage_active) AS stage_map).1            AS stages,
    stage_map.2                                                                  AS stage_waiting_seconds,
    stage_map.3                                                                  AS stage_active_seconds
FROM per_change
ARRAY JOIN [toString(bucket), 'all'] AS period
GROUP BY period
ORDER BY period
