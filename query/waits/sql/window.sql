{{/* The waterfalls of the changes whose first successful deployment in
scope finished in [from, to), bucketed by {step:String}. */}}
{{define "window_waterfalls"}}
{{template "window_links" .}},
    subjects AS (
        SELECT change_id, '' AS team, deployment_id, deployed_at, deploy_started_at, deploy_commit,
               {{template "bucket" "deployed_at"}} AS bucket
        FROM firsts
        WHERE deployed_at >= {from:DateTime64(9, 'UTC')} AND deployed_at < {to:DateTime64(9, 'UTC')}
    ),
{{template "window_stage_lookups"}},
{{template "waterfall" .}}
{{end}}
