{{/*
The cells of one scope — each service with a deployment or incident that can
be in scope, in {environment:String} — with the current generation of their
stored facts of {kind:String} and {variant:String} (0: none yet), when it was computed, and when the latest write
(entity_touches, migration 0007) was stamped: with none since the oldest
computation less the freshness margin, no cell is stale; else touched.sql
says which are.
*/}}
WITH
    if({team:String} != '', [{team:String}], {teams:Array(String)}) AS scope_teams,
    owned AS (
        SELECT service FROM service_catalog GROUP BY service
        HAVING has(scope_teams, argMax(team, updated_at)) AND argMax(deleted, updated_at) = false
    ),
    services AS (
        SELECT DISTINCT service
        FROM deployments
        WHERE ({service:String} = '' OR service = {service:String})
          AND environment IN ({environment:String}, '')
          AND (empty(scope_teams) OR has(scope_teams, team) OR (team = '' AND service GLOBAL IN owned))
        UNION DISTINCT
        SELECT DISTINCT service
        FROM incidents
        WHERE ({service:String} = '' OR service = {service:String})
          AND environment IN ({environment:String}, '')
          AND (empty(scope_teams) OR has(scope_teams, team) OR (team = '' AND service GLOBAL IN owned))
    ),
    state AS (
        SELECT service, argMax(generation, computed_at) AS current, max(computed_at) AS current_at
        FROM fact_cells
        WHERE kind = {kind:String} AND variant = {variant:String} AND environment = {environment:String}
        GROUP BY service
    )
SELECT
    s.service                                    AS service,
    st.current                                   AS generation,
    st.current_at                                AS computed_at,
    ifNull((SELECT at FROM entity_touches ORDER BY at DESC LIMIT 1), toDateTime64(0, 3, 'UTC')) AS last_write,
    now64(3)                                     AS now
FROM services AS s
LEFT JOIN state AS st ON st.service = s.service
ORDER BY service
