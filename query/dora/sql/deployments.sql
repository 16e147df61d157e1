{{/*
Deployment frequency, change failure rate, failed deployment recovery time
and rework rate of one scope, one row per time bucket (DESIGN.md §6).

D, the deployments of a bucket, are the scope's deployments that finished in
it, either status; which of them failed and when they recovered are the
stored facts (refresh_facts.sql) of the current generations of the scope's
cells, {generations:Array(UInt64)}, kept for the scope's teams. Unplanned
deployments: unplanned, a rollback, or the deployment that recovered a
failed one. Data quality comes along: successful deployments no change
links to, unattributed incidents and times out of order.
*/}}
WITH
{{template "stored_facts" "dora_facts"}},
    -- Each deployment counts in the bucket of its finish; a deployment that
    -- recovered another also counts as unplanned where it finished.
    counted AS (
        SELECT *, item.1 AS item_id, item.2 AS role, item.3 AS item_at
        FROM (
            SELECT *
            FROM facts
            WHERE (at >= {from:DateTime64(9, 'UTC')} AND at < {to:DateTime64(9, 'UTC')})
               OR (recovered_by_deployment AND next_at >= {from:DateTime64(9, 'UTC')} AND next_at < {to:DateTime64(9, 'UTC')})
        )
        ARRAY JOIN arrayFilter(r -> r.1 != '', [
            (id, if(is_deployment, 'deployment', 'unattributed'), at),
            (if(recovered_by_deployment, next_id, ''), 'recovery', next_at)
        ]) AS item
        WHERE item_at >= {from:DateTime64(9, 'UTC')} AND item_at < {to:DateTime64(9, 'UTC')}
    )
SELECT
    {{template "bucket" "item_at"}}                                                       AS bucket,
    countIf(role = 'deployment')                                                          AS deployments,
    countIf(role = 'deployment' AND status = 'success')                                   AS successful,
    uniqExactIf(toDate(at), role = 'deployment' AND status = 'success')                   AS deploy_days,
    (sumMapIf([toDate(at)], [toUInt64(1)], role = 'deployment' AND status = 'success') AS daily).1 AS deploy_dates,
    daily.2                                                                               AS deploy_date_counts,
    countIf(role = 'deployment' AND failed)                                               AS failures,
    countIf(role = 'deployment' AND failed AND recovered_at > 0)                          AS recovered,
    countIf(role = 'deployment' AND failed AND recovered_at = 0)                          AS unrecovered,
    arraySort(groupArrayIf({{template "seconds" (args "detected_at" "recovered_at")}},
        role = 'deployment' AND failed AND recovered_at > 0))                             AS recovery_seconds,
    quantilesExactInclusiveIf(0.5, 0.9)({{template "seconds" (args "detected_at" "recovered_at")}},
        role = 'deployment' AND failed AND recovered_at > 0)                              AS recovery_quantiles,
    uniqExactIf(item_id, (role = 'deployment' AND (unplanned OR is_rollback)) OR role = 'recovery') AS unplanned_deployments,
    countIf(role = 'deployment' AND unlinked)                                             AS unlinked_deployments,
    toJSONString(groupArrayIf(100)(map('id', id, 'at', toString(at)), role = 'deployment' AND unlinked)) AS unlinked_items,
    countIf(role = 'unattributed')                                                        AS unattributed_incidents,
    toJSONString(groupArrayIf(100)(map('id', id, 'at', toString(at)), role = 'unattributed')) AS unattributed_items,
    countIf(role = 'deployment' AND started_at > at)                                      AS skewed_deployments,
    toJSONString(groupArrayIf(100)(map('id', id, 'at', toString(at), 'detail', concat('started_at ', toString(started_at), ' is after finished_at')),
        role = 'deployment' AND started_at > at))                                         AS skewed_deployment_items,
    arrayDistinct(groupArrayArrayIf(skewed_incidents, role IN ('deployment', 'unattributed'))) AS skewed_incident_ids
FROM counted
GROUP BY bucket
ORDER BY bucket
