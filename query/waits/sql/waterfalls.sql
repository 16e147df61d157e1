{{/*
Every waterfall of the scope's window, one row per change, in the
columns of timeline.sql (without the owner, which would merge deps again).
*/}}
WITH
{{template "window_waterfalls" .}}
SELECT
    change_id, deployment_id, '' AS owner, '' AS service, started_at, started_from, deployed_at,
    arrayMap(x -> x.1, segments)                            AS names,
    arrayMap(x -> x.2, segments)                            AS states,
    arrayMap(x -> x.3, segments)                            AS pipelines,
    arrayMap(x -> x.4, segments)                            AS stages,
    arrayMap(x -> fromUnixTimestamp64Nano(x.5, 'UTC'), segments) AS starts,
    arrayMap(x -> fromUnixTimestamp64Nano(x.6, 'UTC'), segments) AS ends
FROM waterfalls
ORDER BY change_id
