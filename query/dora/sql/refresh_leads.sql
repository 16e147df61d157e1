{{/*
Computes, for one cell — {service:String} in {environment:String} — over
its whole history, each change's first successful deployment per team of
the deploying deployment (a team's scope then takes the earliest of its
own), with where the change's lead time starts, and stores them under
{generation:UInt64} (migration 0007). The links are DESIGN.md §6's three
tiers (links.sql).
*/}}
INSERT INTO dora_leads (generation, service, team, change_id, deployed_at, deployment_id, started_from, started_at)
WITH
{{template "window_links" .}},
{{template "team_firsts"}}
SELECT
    {generation:UInt64}, {service:String}, f.team, f.change_id, f.deployed_at, f.deployment_id,
    {{template "lead_start_field" "c"}}, {{template "lead_start" "c"}}
FROM team_firsts AS f
LEFT JOIN ({{template "change_state" "window_changes"}}) AS c ON c.change_id = f.change_id
