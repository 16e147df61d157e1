{{/* The stored waterfalls (facts: "stored_facts" of wait_waterfalls) of
the changes whose first successful deployment in scope finished in
[from, to), each from that deployment, bucketed by {step:String}. (Its row
is found by key: aggregating the segment arrays themselves costs
ClickHouse far more.) */}}
{{define "window_waterfalls"}}
    waterfalls AS (
        SELECT *, {{template "bucket" "deployed_at"}} AS bucket
        FROM facts
        WHERE (change_id, deployed_at) GLOBAL IN (
            SELECT change_id, min(deployed_at) AS first_deployed_at
            FROM facts
            GROUP BY change_id
            HAVING first_deployed_at >= {from:DateTime64(9, 'UTC')} AND first_deployed_at < {to:DateTime64(9, 'UTC')})
        LIMIT 1 BY change_id
    )
{{end}}
