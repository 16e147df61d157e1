{{/*
Computes the failure facts of one cell — {service:String} in
{environment:String}, every team — over its whole history ({from} and {to}
span all time) and stores them under {generation:UInt64} (migration 0007).
The facts are "deployment_facts" (facts.sql), the definition the live
listings read too.
*/}}
INSERT INTO dora_facts (generation, service, team, id, is_deployment, at, started_at, status, unplanned, unlinked,
                        skewed_incidents, rollback_of, is_rollback, failed, detected_at, next_id, next_at,
                        recovered_by_deployment, recovered_at)
WITH
{{template "facts" .}}
SELECT {generation:UInt64}, {service:String}, team, id, is_deployment, at, started_at, status, unplanned, unlinked,
       skewed_incidents, rollback_of, is_rollback, failed, detected_at, next_id, next_at,
       recovered_by_deployment, recovered_at
FROM facts
