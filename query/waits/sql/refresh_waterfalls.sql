{{/*
Computes, for one cell — {service:String} in {environment:String} — over
its whole history, the waterfall of each change from its first successful
deployment there per team of the deploying deployment (a team's scope then
takes the earliest of its own), and stores them under {generation:UInt64}
(migration 0007). The waterfall is waterfall.sql's, the one a change's
timeline shows.
*/}}
INSERT INTO wait_waterfalls (generation, service, team, change_id, deployment_id, deployed_at, started_from, s_ns, e_ns, segments)
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
{{template "waterfall" .}}
SELECT {generation:UInt64}, {service:String}, team, change_id, deployment_id, deployed_at, started_from, s_ns, e_ns, segments
FROM waterfalls
