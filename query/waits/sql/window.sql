{{/* The waterfalls of the changes whose first successful deployment in
scope finished in [from, to), bucketed by {step:String}. */}}
{{define "window_waterfalls"}}
{{template "scope" .}},
{{template "window_deployments" .}},
{{template "commit_lookups" .}},
{{template "push_links" .}},
{{template "lead_links" .}},
    subjects AS (
        SELECT change_id, deployment_id, deployed_at, deploy_started_at, deploy_commit,
               {{template "bucket" "deployed_at"}} AS bucket
        FROM firsts
        WHERE deployed_at >= {from:DateTime64(9, 'UTC')} AND deployed_at < {to:DateTime64(9, 'UTC')}
    ),
    subject_change_ids AS (SELECT change_id FROM window_changes),
    stage_lookup_keys AS (
        SELECT change_id AS key FROM window_changes
        UNION ALL
        SELECT commit AS key FROM deployments WHERE deployment_id GLOBAL IN window_deployments AND commit != ''
    ),
{{template "waterfall" .}}
{{end}}
