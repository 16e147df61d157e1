{{/*
Computes, for one cell — {service:String} in {environment:String} — over
its whole history, the waterfall of each change from its first successful
deployment there per team of the deploying deployment (a team's scope then
takes the earliest of its own), and stores them under {generation:UInt64}
(migration 0007). The waterfall is waterfall.sql's, the one a change's
timeline shows.
*/}}
INSERT INTO wait_waterfalls (generation, service, team, change_id, deployment_id, deployed_at, started_from, s_ns, e_ns, segments,
                             waiting_seconds, segment_seconds, stage_names, stage_waiting, stage_active)
WITH
{{template "window_links" .}},
{{template "team_firsts"}},
    subjects AS (
        SELECT change_id, team, deployment_id, deployed_at, deploy_started_at, deploy_commit,
               toDateTime64(0, 9, 'UTC') AS bucket
        FROM team_firsts
    ),
    subject_change_ids AS (SELECT change_id FROM window_changes),
    stage_lookup_keys AS (
        SELECT change_id AS key FROM window_changes
        UNION ALL
        SELECT commit AS key FROM deployments WHERE deployment_id GLOBAL IN window_deployments AND commit != ''
    ),
{{template "waterfall" .}},
    -- What reports sum, per change. No lambda here reads another column,
    -- since ClickHouse copies a captured array for every element it maps.
    summed AS (
        SELECT *,
            arraySum(arrayMap(x -> if(x.2 = 'waiting', x.6 - x.5, 0), segments)) / 1e9     AS waiting_seconds,
            arrayReduce('sumMap', [arrayMap(x -> x.1, segments)], [arrayMap(x -> x.6 - x.5, segments)]) AS by_segment,
            mapFilter((k, v) -> v > 0, mapFromArrays(by_segment.1, arrayMap(v -> v / 1e9, by_segment.2))) AS segment_seconds,
            arrayFilter(x -> x.3 != '' OR x.4 != '', segments)                             AS staged,
            arrayMap(x -> concat(x.3, '\t', x.4), staged)                                  AS stage_names,
            arrayMap(x -> if(x.2 = 'waiting', x.6 - x.5, 0) / 1e9, staged)                 AS stage_waiting,
            arrayMap(x -> if(x.2 = 'active', x.6 - x.5, 0) / 1e9, staged)                  AS stage_active
        FROM waterfalls
    )
SELECT {generation:UInt64}, {service:String}, team, change_id, deployment_id, deployed_at, started_from, s_ns, e_ns, segments,
       waiting_seconds, segment_seconds, stage_names, stage_waiting, stage_active
FROM summed
