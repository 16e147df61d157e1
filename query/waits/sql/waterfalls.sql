{{/*
Every waterfall of the scope's window, one row per change, in the columns
of timeline.sql (without the owner and service, which Timeline gives), from
the stored waterfalls of the current generations of the scope's cells,
{generations:Array(UInt64)}.
*/}}
WITH
{{template "stored_facts" "wait_waterfalls"}},
{{template "window_waterfalls" .}}
SELECT
    change_id, deployment_id, '' AS owner, '' AS service,
    fromUnixTimestamp64Nano(s_ns, 'UTC')                    AS started_at,
    started_from, deployed_at,
    arrayMap(x -> x.1, segments)                            AS names,
    arrayMap(x -> x.2, segments)                            AS states,
    arrayMap(x -> x.3, segments)                            AS pipelines,
    arrayMap(x -> x.4, segments)                            AS stages,
    arrayMap(x -> fromUnixTimestamp64Nano(x.5, 'UTC'), segments) AS starts,
    arrayMap(x -> fromUnixTimestamp64Nano(x.6, 'UTC'), segments) AS ends
FROM waterfalls
ORDER BY change_id
