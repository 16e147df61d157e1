{{/*
The cells of one scope — each service with a deployment or incident that can
be in scope, in {environment:String} — with the current generation of their
stored facts of {kind:String} and {variant:String} (0: none yet), when it
was computed, and the latest write mapped to the service (cell_marks:
entity_at without pipeline stages, any_at with them).

Then, the same on every row:
  - mapped_upto: touches stamped before it are in cell_marks;
  - oldest: the oldest current computation of any cell (a touch stamped
    before it cannot make a cell stale, so it needs no mapping);
  - last_touch: the latest touch stamped;
  - horizon: every write stamped before it is visible — the start of the
    oldest INSERT still running, else now. A computation decided now reads
    every write stamped before the horizon, so it is recorded as computed
    at the horizon.
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
    ),
    marks AS (
        SELECT service, maxIf(at, NOT by_stage) AS entity_at, max(at) AS any_at
        FROM cell_marks
        WHERE service GLOBAL IN services
        GROUP BY service
    )
SELECT
    s.service                                    AS service,
    st.current                                   AS generation,
    st.current_at                                AS computed_at,
    m.entity_at                                  AS entity_at,
    m.any_at                                     AS any_at,
    ifNull((SELECT max(upto) FROM touches_mapped), toDateTime64(0, 3, 'UTC')) AS mapped_upto,
    ifNull((SELECT min(at) FROM (SELECT max(computed_at) AS at FROM fact_cells GROUP BY kind, variant, service, environment)),
           toDateTime64(0, 3, 'UTC'))            AS oldest,
    ifNull((SELECT at FROM entity_touches ORDER BY at DESC LIMIT 1), toDateTime64(0, 3, 'UTC')) AS last_touch,
    least(now64(3), ifNull((SELECT min(now64(3) - toIntervalMillisecond(toUInt64(elapsed * 1000)))
                            FROM system.processes WHERE query_kind = 'Insert'), now64(3))) AS horizon
FROM services AS s
LEFT JOIN state AS st ON st.service = s.service
LEFT JOIN marks AS m ON m.service = s.service
ORDER BY service
