{{/*
Lead time for changes of one scope, one row per time bucket (DESIGN.md §6):
for each change whose first successful deployment in scope finished in the
window, that finish minus first_commit_at (else opened_at, else merged_at),
in the bucket of the finish. Each change's first deployment per cell and
team is stored (refresh_leads.sql) under the current generations of the
scope's cells, {generations:Array(UInt64)}; the scope's is the earliest of
its teams'. Changes with no start time, and lead times below zero (clock
skew), are left out of the figure and listed.
*/}}
WITH
{{template "stored_facts" "dora_leads"}},
    lead AS (
        SELECT
            change_id,
            min(f.deployed_at)                                           AS deployed_at,
            argMin(f.deployment_id, f.deployed_at)                       AS deployment_id,
            any(f.started_from)                                          AS started_from,
            any(f.started_at)                                            AS started_at,
            {{template "seconds" (args "started_at" "deployed_at")}}     AS seconds,
            started_from != '' AND seconds >= 0                          AS measured
        FROM facts AS f
        -- Only changes with a first deployment in the window can count.
        WHERE f.deployed_at < {to:DateTime64(9, 'UTC')}
          AND f.change_id GLOBAL IN (
              SELECT change_id FROM facts
              WHERE deployed_at >= {from:DateTime64(9, 'UTC')} AND deployed_at < {to:DateTime64(9, 'UTC')})
        GROUP BY change_id
        HAVING deployed_at >= {from:DateTime64(9, 'UTC')} AND deployed_at < {to:DateTime64(9, 'UTC')}
    )
SELECT
    {{template "bucket" "deployed_at"}}                                           AS bucket,
    countIf(measured)                                                             AS changes,
    arraySort(groupArrayIf(seconds, measured))                                    AS lead_seconds,
    quantilesExactInclusiveIf(0.5, 0.9)(seconds, measured)                        AS lead_quantiles,
    countIf(started_from IN ('opened_at', 'merged_at'))                           AS without_first_commit,
    toJSONString(groupArrayIf(100)(map('id', change_id, 'detail', concat('lead time starts at ', started_from)),
        started_from IN ('opened_at', 'merged_at')))                             AS without_first_commit_items,
    countIf(started_from = '')                                                    AS without_start,
    toJSONString(groupArrayIf(100)(map('id', change_id, 'detail', concat('deployed by ', deployment_id,
        ' but has no first_commit_at, opened_at or merged_at (or no change event)')), started_from = '')) AS without_start_items,
    countIf(started_from != '' AND seconds < 0)                                   AS skewed,
    toJSONString(groupArrayIf(100)(map('id', change_id, 'detail', concat(started_from, ' ', toString(started_at),
        ' is after its deployment finished at ', toString(deployed_at))), started_from != '' AND seconds < 0)) AS skewed_items
FROM lead
GROUP BY bucket
ORDER BY bucket
