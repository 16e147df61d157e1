{{/*
The deployments of one scope that finished in the window, newest first, one
row each with its failure facts (facts.sql), the changes it shipped (listed,
by commit, or by push chain: DESIGN.md §6), its attributed incidents and
the verdict of its latest finished canary analysis. Unplanned is the rework
rate's rule: marked unplanned, a rollback, or the recovery of a failed
deployment. Extra parameter: {limit:UInt32} (rows returned).
*/}}
WITH
{{template "facts" .}},
    listed AS (
        SELECT *
        FROM facts
        WHERE is_deployment AND at >= {from:DateTime64(9, 'UTC')} AND at < {to:DateTime64(9, 'UTC')}
    ),
    recoveries AS (
        SELECT DISTINCT next_id AS id FROM facts WHERE recovered_by_deployment
    ),
    window_deps AS (SELECT * FROM deps WHERE deployment_id GLOBAL IN window_deployments),
{{template "listed_links" (args "window_deps" "window_deployments")}},
    shipped AS (
        SELECT deployment_id, arraySort(groupUniqArray(change_id)) AS change_ids
        FROM (
            SELECT deployment_id, change_id FROM listed_links
            UNION ALL
            SELECT deployment_id, change_id FROM pushed_links
        )
        WHERE change_id != ''
        GROUP BY deployment_id
    ),
    versions AS (
        SELECT deployment_id, argMaxIf(version, (observed_at, event_id), version != '') AS version
        FROM deployments
        WHERE deployment_id GLOBAL IN window_deployments
        GROUP BY deployment_id
    ),
    verdicts AS (
        SELECT deployment_id, argMaxIf(verdict, updated_at, verdict != '') AS verdict
        FROM canary_analyses
        WHERE deployment_id GLOBAL IN window_deployments
        GROUP BY deployment_id
    )
SELECT
    l.id                                                   AS deployment_id,
    d.owner                                                AS team,
    d.service                                              AS service,
    {environment:String}                                   AS environment,
    v.version                                              AS version,
    d.commit                                               AS commit,
    d.started_at                                           AS started_at,
    d.finished_at                                          AS finished_at,
    l.status                                               AS status,
    l.failed                                               AS failed,
    l.rolled_back                                          AS rolled_back,
    l.rollback_of                                          AS rollback_of,
    l.unplanned OR l.is_rollback OR l.id GLOBAL IN (SELECT id FROM recoveries) AS unplanned,
    s.change_ids                                           AS change_ids,
    toInt64(l.incidents)                                   AS incidents,
    c.verdict                                              AS canary_verdict,
    if(l.failed, l.detected_at, toDateTime64(0, 9, 'UTC')) AS detected_at,
    if(l.failed, l.recovered_at, toDateTime64(0, 9, 'UTC')) AS recovered_at
FROM listed AS l
INNER JOIN window_deps AS d ON d.deployment_id = l.id
LEFT JOIN shipped AS s ON s.deployment_id = l.id
LEFT JOIN versions AS v ON v.deployment_id = l.id
LEFT JOIN verdicts AS c ON c.deployment_id = l.id
ORDER BY finished_at DESC, deployment_id
LIMIT {limit:UInt32}
