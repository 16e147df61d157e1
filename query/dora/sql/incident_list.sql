{{/*
The incidents of one scope opened in the window, newest first, each with the
deployment it is attributed to (facts.sql: the one it names, else the
service's latest successful deployment within the attribution window, else
none). Extra parameter: {limit:UInt32} (rows returned).
*/}}
WITH
{{template "facts" .}},
    listed AS (
        SELECT id, at, resolved_at, cause
        FROM attributed
        WHERE kind = 1 AND in_scope = 1
          AND at >= {from:DateTime64(9, 'UTC')} AND at < {to:DateTime64(9, 'UTC')}
    ),
    described AS (
        SELECT
            incident_id,
            argMaxIf(team, (observed_at, event_id), team != '')                 AS team,
            argMaxIf(service, (observed_at, event_id), service != '')           AS service,
            argMaxIf(severity, (observed_at, event_id), severity != '')         AS severity,
            argMaxIf(title, (observed_at, event_id), title != '')               AS title
        FROM incidents
        WHERE incident_id GLOBAL IN (SELECT id FROM listed)
        GROUP BY incident_id
    )
SELECT
    l.id                                   AS incident_id,
    if(i.team != '', i.team, o.team)       AS team,
    i.service                              AS service,
    {environment:String}                   AS environment,
    i.severity                             AS severity,
    i.title                                AS title,
    l.at                                   AS opened_at,
    l.resolved_at                          AS resolved_at,
    l.cause                                AS caused_by_deployment
FROM listed AS l
INNER JOIN described AS i ON i.incident_id = l.id
LEFT JOIN owners AS o ON o.service = i.service
ORDER BY opened_at DESC, incident_id
LIMIT {limit:UInt32}
