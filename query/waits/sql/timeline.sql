{{/*
One change's waterfall: its first successful deployment to the environment
among the deployments the caller's teams own (scope_teams; the team, service
and window parameters are left open), and the owner of that deployment.
Extra parameter: {change_id:String}.
*/}}
WITH
    if({team:String} != '', [{team:String}], {teams:Array(String)}) AS scope_teams,
    owners AS {{template "materialized" .}}(
        SELECT service, argMax(team, updated_at) AS team
        FROM service_catalog
        GROUP BY service
        HAVING argMax(deleted, updated_at) = false
    ),
    the_change AS {{template "materialized" .}}(
        SELECT change_id,
               arrayFilter(c -> c != '', arrayDistinct(arrayConcat(groupArray(merge_commit), groupArrayArray(commits)))) AS named_commits,
               argMaxIf(repo, (observed_at, event_id), repo != '') AS repo,
               argMaxIf(base_branch, (observed_at, event_id), base_branch != '') AS base_branch
        FROM changes
        WHERE change_id = {change_id:String}
        GROUP BY change_id
    ),
    -- Deployments that can include the change: those that list it or one of
    -- its commits, and those of its repository's base branch (push chains).
    candidate_deployments AS {{template "materialized" .}}(
        SELECT deployment_id
        FROM deployments
        WHERE environment IN ({environment:String}, '')
          AND (has(change_ids, {change_id:String})
               OR hasAny(commits, (SELECT any(named_commits) FROM the_change))
               OR (repo, branch) GLOBAL IN (SELECT repo, base_branch FROM the_change WHERE repo != '' AND base_branch != ''))
    ),
    deps AS {{template "materialized" .}}({{template "deployment_state" "candidate_deployments"}}),
{{template "push_links" .}},
{{template "listed_links" (args "deps" "candidate_deployments")}},
{{template "firsts"}},
    subjects AS (
        SELECT change_id, '' AS team, deployment_id, deployed_at, deploy_started_at, deploy_commit,
               toDateTime64(0, 9, 'UTC') AS bucket
        FROM firsts
        WHERE change_id = {change_id:String}
    ),
    subject_change_ids AS (SELECT {change_id:String} AS change_id),
    stage_lookup_keys AS (
        SELECT {change_id:String} AS key
        UNION ALL
        SELECT commit AS key FROM deployments WHERE deployment_id GLOBAL IN candidate_deployments AND commit != ''
    ),
{{template "waterfall" .}}
SELECT
    w.change_id, w.deployment_id, d.owner, d.service, w.started_at, w.started_from, w.deployed_at,
    arrayMap(x -> x.1, w.segments)                            AS names,
    arrayMap(x -> x.2, w.segments)                            AS states,
    arrayMap(x -> x.3, w.segments)                            AS pipelines,
    arrayMap(x -> x.4, w.segments)                            AS stages,
    arrayMap(x -> fromUnixTimestamp64Nano(x.5, 'UTC'), w.segments) AS starts,
    arrayMap(x -> fromUnixTimestamp64Nano(x.6, 'UTC'), w.segments) AS ends
FROM waterfalls AS w
LEFT JOIN (SELECT deployment_id, owner, service FROM deps) AS d ON d.deployment_id = w.deployment_id
