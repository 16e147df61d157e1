{{/*
The failure facts of every deployment of a scope (DESIGN.md §6), as WITH
items ("facts" renders them with the items they stand on): facts has one row per deployment (is_deployment) and per
unattributed incident of the scope, with the team its own events name (team;
'' leaves it to the catalog), attributed one row per timeline entry
(kind 1: incidents, with their cause).

A deployment failed when its status is failure, when a later deployment
names it in rollback_of, or when an incident is attributed to it; it is
detected at its finish in the first two cases, else when the earliest
attributed incident opened. It is recovered at the earlier of the finish of
the service's next successful deployment after detection and the resolution
of an attributed incident.

Deployments and incidents of a service are laid on one time line and read
with window functions, so each entity is merged once.
Extra parameter: {attribution_window_seconds:UInt32}.
*/}}
{{define "deployment_facts"}}
    timeline AS (
        SELECT 0 AS kind, deployment_id AS id, service, finished_at AS at, started_at,
               toString(status) AS status, rollback_of, unplanned,
               status = 'success' AND NOT lists_changes
                   AND deployment_id GLOBAL NOT IN commit_linked
                   AND deployment_id GLOBAL NOT IN (SELECT deployment_id FROM pushed_links) AS unlinked,
               '' AS caused_by, toDateTime64(0, 9, 'UTC') AS resolved_at, toUInt8(1) AS in_scope, own_team
        FROM deps
        UNION ALL
        SELECT 1 AS kind, incident_id AS id, service, opened_at AS at, toDateTime64(0, 9, 'UTC') AS started_at,
               '' AS status, '' AS rollback_of, false AS unplanned, false AS unlinked,
               caused_by_deployment AS caused_by, resolved_at, toUInt8(in_scope) AS in_scope, own_team
        FROM incs
    ),
    -- For every row, the service's successful deployment at or just before
    -- it, and the one strictly after it.
    placed AS (
        SELECT *,
            ifNull(anyLast(if(kind = 0 AND status = 'success', id, NULL)) OVER earlier, '') AS prev_ok_id,
            ifNull(anyLast(if(kind = 0 AND status = 'success', at, NULL)) OVER earlier, toDateTime64(0, 9, 'UTC')) AS prev_ok_at,
            ifNull(anyLast(if(kind = 0 AND status = 'success', id, NULL)) OVER later, '') AS next_ok_id,
            ifNull(anyLast(if(kind = 0 AND status = 'success', at, NULL)) OVER later, toDateTime64(0, 9, 'UTC')) AS next_ok_at
        FROM timeline
        WINDOW
            earlier AS (PARTITION BY service ORDER BY at, kind, id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
            later AS (PARTITION BY service ORDER BY toUnixTimestamp64Nano(at) DESC RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ),
    -- Incident attribution: the deployment the incident names; else the
    -- latest successful deployment of its service that finished at most the
    -- attribution window before it opened; else none.
    attributed AS (
        SELECT *,
            multiIf(kind = 0, '',
                    caused_by != '', caused_by,
                    prev_ok_id != '' AND toUnixTimestamp64Nano(at) - toUnixTimestamp64Nano(prev_ok_at)
                        <= toInt64({attribution_window_seconds:UInt32}) * 1000000000, prev_ok_id,
                    '') AS cause
        FROM placed
    ),
    -- One row per deployment with its rollbacks and attributed incidents,
    -- and one per unattributed incident of the scope.
    per_key AS (
        SELECT
            marker.1                                                        AS key,
            countIf(marker.2 = 'self') > 0                                  AS is_deployment,
            countIf(marker.2 = 'unattributed') > 0                          AS is_unattributed,
            anyIf(id, marker.2 IN ('self', 'unattributed'))                 AS key_id,
            anyIf(at, marker.2 IN ('self', 'unattributed'))                 AS key_at,
            anyIf(own_team, marker.2 IN ('self', 'unattributed'))           AS key_team,
            anyIf(started_at, marker.2 = 'self')                            AS key_started_at,
            anyIf(status, marker.2 = 'self')                                AS key_status,
            anyIf(rollback_of, marker.2 = 'self')                           AS key_rollback_of,
            anyIf(unplanned, marker.2 = 'self')                             AS key_unplanned,
            anyIf(unlinked, marker.2 = 'self')                              AS key_unlinked,
            anyIf(next_ok_id, marker.2 = 'self')                            AS self_next_id,
            anyIf(next_ok_at, marker.2 = 'self')                            AS self_next_at,
            countIf(marker.2 = 'rollback') > 0                              AS rolled_back,
            countIf(marker.2 = 'incident')                                  AS incidents,
            minIf(at, marker.2 = 'incident')                                AS first_incident_at,
            argMinIf(next_ok_id, at, marker.2 = 'incident')                 AS incident_next_id,
            argMinIf(next_ok_at, at, marker.2 = 'incident')                 AS incident_next_at,
            minIf(resolved_at, marker.2 = 'incident' AND resolved_at >= at) AS first_resolved_at,
            groupArrayIf(id, kind = 1 AND marker.2 IN ('incident', 'unattributed') AND resolved_at > 0 AND resolved_at < at) AS skewed_incidents
        FROM attributed
        ARRAY JOIN arrayFilter(m -> m.1 != '', [
            (if(kind = 0, id, ''), 'self'),
            (if(kind = 0, rollback_of, ''), 'rollback'),
            (if(kind = 1, cause, ''), 'incident'),
            (if(kind = 1 AND cause = '' AND in_scope = 1, concat('\0incident:', id), ''), 'unattributed')
        ]) AS marker
        GROUP BY key
    ),
    facts AS (
        SELECT
            key_id                                                          AS id,
            key_team                                                        AS team,
            is_deployment,
            key_at                                                          AS at,
            key_started_at                                                  AS started_at,
            key_status                                                      AS status,
            key_unplanned                                                   AS unplanned,
            key_unlinked                                                    AS unlinked,
            skewed_incidents,
            rolled_back,
            incidents,
            key_rollback_of                                                 AS rollback_of,
            key_rollback_of != ''                                           AS is_rollback,
            key_status = 'failure' OR rolled_back                           AS failed_at_finish,
            is_deployment AND (failed_at_finish OR incidents > 0)           AS failed,
            if(failed_at_finish, key_at, first_incident_at)                 AS detected_at,
            -- The service's next successful deployment after detection, never
            -- this deployment itself.
            multiIf(failed_at_finish, self_next_id,
                    incident_next_id = '', '',
                    incident_next_id = key OR incident_next_at <= key_at, self_next_id,
                    incident_next_id)                                       AS next_id,
            multiIf(failed_at_finish, self_next_at,
                    incident_next_id = '', toDateTime64(0, 9, 'UTC'),
                    incident_next_id = key OR incident_next_at <= key_at, self_next_at,
                    incident_next_at)                                       AS next_at,
            first_resolved_at > 0 AND first_resolved_at >= detected_at      AS resolved,
            next_id != '' AND (NOT resolved OR next_at <= first_resolved_at) AS recovered_by_deployment,
            multiIf(recovered_by_deployment, next_at, resolved, first_resolved_at, toDateTime64(0, 9, 'UTC')) AS recovered_at
        FROM per_key
        WHERE is_deployment OR is_unattributed
    )
{{end}}

{{define "facts"}}
{{template "scope" .}},
{{template "incidents" .}},
{{template "window_deployments" .}},
{{template "commit_lookups" .}},
{{template "push_links" .}},
{{template "deployment_facts" .}}
{{end}}

