{{/*
The entities of one scope — team(s), service, environment — as WITH-clause
items that the metric queries build on. Parameters (all bound):

  {team:String}         one team, or '' for every team in {teams}
  {teams:Array(String)} the caller's teams; [] means every team
  {service:String}      one service, or ''
  {environment:String}  the environment; events that name none are 'production'

Entity tables hold one row per event; an entity's state is merged here by the
rule of migrations/0003_entity_views.sql (each field from the latest event,
by observed_at then event_id, that gave it a value; lists are unions), over
only the entities a cheap scan of single rows says can be in scope.
*/}}

{{define "scope"}}
    if({team:String} != '', [{team:String}], {teams:Array(String)}) AS scope_teams,
    -- The service catalog now: the team that owns each service, for events
    -- that name no team.
    owners AS {{template "materialized" .}}(
        SELECT service, argMax(team, updated_at) AS team
        FROM service_catalog
        GROUP BY service
        HAVING argMax(deleted, updated_at) = false
    ),
    -- Deployments with an event that can put them in scope: a superset of
    -- the scope's deployments that bounds the merge.
    candidate_deployments AS {{template "materialized" .}}(
        SELECT deployment_id
        FROM deployments
        WHERE ({service:String} = '' OR service = {service:String})
          AND environment IN ({environment:String}, '')
          AND (empty(scope_teams) OR has(scope_teams, team)
               OR (team = '' AND service GLOBAL IN (SELECT service FROM owners WHERE has(scope_teams, team))))
    ),
    -- The scope's deployments, every one that has finished.
    deps AS {{template "materialized" .}}({{template "deployment_state" "candidate_deployments"}})
{{end}}

{{/* The merged state of the deployments whose ids the named CTE lists,
kept when they are in scope. */}}
{{define "deployment_state"}}
        SELECT
            d.deployment_id                   AS deployment_id,
            if(d.team != '', d.team, o.team)  AS owner,
            d.team                            AS own_team,
            d.service                         AS service,
            d.repo                            AS repo,
            d.branch                          AS branch,
            d.commit                          AS commit,
            d.started_at                      AS started_at,
            d.finished_at                     AS finished_at,
            d.status                          AS status,
            d.rollback_of                     AS rollback_of,
            d.unplanned                       AS unplanned,
            d.listed_changes                  AS change_ids,
            d.listed_commits                  AS commits,
            d.lists_changes                   AS lists_changes,
            d.lists_nothing                   AS lists_nothing
        FROM (
            SELECT
                deployment_id,
                argMaxIf(team, (observed_at, event_id), team != '')                AS team,
                argMaxIf(service, (observed_at, event_id), service != '')          AS service,
                argMaxIf(environment, (observed_at, event_id), environment != '')  AS environment,
                argMaxIf(repo, (observed_at, event_id), repo != '')                AS repo,
                argMaxIf(branch, (observed_at, event_id), branch != '')            AS branch,
                argMaxIf(commit, (observed_at, event_id), commit != '')            AS commit,
                argMaxIf(started_at, (observed_at, event_id), started_at > 0)      AS started_at,
                argMaxIf(finished_at, (observed_at, event_id), finished_at > 0)    AS finished_at,
                argMaxIf(status, (observed_at, event_id), status != 'unknown')     AS status,
                argMaxIf(rollback_of, (observed_at, event_id), rollback_of != '')  AS rollback_of,
                max(unplanned)                                                     AS unplanned,
                arrayDistinct(groupArrayArray(change_ids))                         AS listed_changes,
                arrayDistinct(groupArrayArray(commits))                            AS listed_commits,
                max(notEmpty(change_ids))                                          AS lists_changes,
                max(notEmpty(change_ids) OR notEmpty(commits)) = 0                 AS lists_nothing
            FROM deployments
            WHERE deployment_id GLOBAL IN {{.}}
            GROUP BY deployment_id
        ) AS d
        LEFT JOIN owners AS o ON o.service = d.service
        WHERE (empty(scope_teams) OR has(scope_teams, owner))
          AND ({service:String} = '' OR d.service = {service:String})
          AND if(d.environment = '', 'production', d.environment) = {environment:String}
          AND d.finished_at > 0
{{end}}

{{/* Incidents that can count against the scope's deployments: the scope's
own (in_scope) and any that name one of its deployments as the cause. */}}
{{define "incidents"}}
    candidate_incidents AS {{template "materialized" .}}(
        SELECT incident_id
        FROM incidents
        WHERE (({service:String} = '' OR service = {service:String})
               AND environment IN ({environment:String}, '')
               AND (empty(scope_teams) OR has(scope_teams, team)
                    OR (team = '' AND service GLOBAL IN (SELECT service FROM owners WHERE has(scope_teams, team)))))
           OR caused_by_deployment GLOBAL IN candidate_deployments
    ),
    incs AS (
        SELECT
            i.incident_id           AS incident_id,
            i.team                  AS own_team,
            i.service               AS service,
            i.opened_at             AS opened_at,
            i.resolved_at           AS resolved_at,
            i.caused_by_deployment  AS caused_by_deployment,
            (empty(scope_teams) OR has(scope_teams, if(i.team != '', i.team, o.team)))
                AND ({service:String} = '' OR i.service = {service:String})
                AND if(i.environment = '', 'production', i.environment) = {environment:String} AS in_scope
        FROM (
            SELECT
                incident_id,
                argMaxIf(team, (observed_at, event_id), team != '')                 AS team,
                argMaxIf(service, (observed_at, event_id), service != '')           AS service,
                argMaxIf(environment, (observed_at, event_id), environment != '')   AS environment,
                argMaxIf(opened_at, (observed_at, event_id), opened_at > 0)         AS opened_at,
                argMaxIf(resolved_at, (observed_at, event_id), resolved_at > 0)     AS resolved_at,
                argMaxIf(caused_by_deployment, (observed_at, event_id), caused_by_deployment != '') AS caused_by_deployment
            FROM incidents
            WHERE incident_id GLOBAL IN candidate_incidents
            GROUP BY incident_id
        ) AS i
        LEFT JOIN owners AS o ON o.service = i.service
        WHERE i.opened_at > 0 AND (in_scope OR i.caused_by_deployment != '')
    )
{{end}}

{{/* MATERIALIZED when the server has materialized CTEs: a WITH item
referenced several times is then computed once instead of once per
reference. */}}
{{define "materialized"}}{{if .Materialized}}MATERIALIZED {{end}}{{end}}

{{/* The time bucket of a row: the start of its day, ISO week or month by
{step:String}, or {from} when there is no step (one bucket). */}}
{{define "bucket"}}multiIf(
            {step:String} = 'day', toDateTime64(toStartOfDay({{.}}), 9, 'UTC'),
            {step:String} = 'week', toDateTime64(toMonday({{.}}), 9, 'UTC'),
            {step:String} = 'month', toDateTime64(toStartOfMonth({{.}}), 9, 'UTC'),
            {from:DateTime64(9, 'UTC')}){{end}}

{{/* Seconds from one DateTime64(9) column to another, to the nanosecond;
called with (args "earlier" "later"). */}}
{{define "seconds"}}((toUnixTimestamp64Nano({{index . 1}}) - toUnixTimestamp64Nano({{index . 0}})) / 1e9){{end}}

{{/* The rows of the named stored-facts table (dora_facts, dora_leads, wait_waterfalls: migration 0007)
of generations {generations:Array(UInt64)} that belong to the scope's
teams: a row's own team, else the catalog's owner of its service now. */}}
{{define "stored_facts"}}
    if({team:String} != '', [{team:String}], {teams:Array(String)}) AS scope_teams,
    facts AS (
        SELECT *
        FROM {{.}}
        WHERE generation IN {generations:Array(UInt64)}
          AND (empty(scope_teams) OR has(scope_teams, team)
               OR (team = '' AND service GLOBAL IN (
                   SELECT service FROM service_catalog GROUP BY service
                   HAVING has(scope_teams, argMax(team, updated_at)) AND argMax(deleted, updated_at) = false)))
    )
{{end}}
