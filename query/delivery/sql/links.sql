{{/*
Change ↔ deployment links (DESIGN.md §6), as WITH-clause items after
"scope":

  1. a deployment includes the changes it lists (change_ids);
  2. else the changes whose merge_commit or commits it lists (commits);
  3. else, when it lists neither, the changes pushed to the branch it
     deployed, up to the deployed commit, that no earlier successful
     deployment of the same service and environment included (pushes).

ClickHouse evaluates a WITH item every time it is referenced, so costly
items are referenced once; the lookups that join them are bounded by
supersets found from single rows. change_commits (migration 0005) maps a
commit to the changes that name it. Everything here is bounded by the
window: a change counts in [from, to) when its first successful deployment
in scope finished there, so only the deployments of the window and those
that list one of the window's changes (or their commits) are merged.
*/}}

{{/* Deployments with an event of the scope that finished in the window
(a superset). */}}
{{define "window_deployments"}}
    window_deployments AS {{template "materialized" .}}(
        SELECT deployment_id
        FROM deployments
        WHERE deployment_id GLOBAL IN candidate_deployments
          AND finished_at >= {from:DateTime64(9, 'UTC')} AND finished_at < {to:DateTime64(9, 'UTC')}
    )
{{end}}

{{/* Tier 2 lookups for the window's deployments. */}}
{{define "commit_lookups"}}
    window_listed_commits AS {{template "materialized" .}}(
        SELECT arrayJoin(commits) AS commit
        FROM deployments
        WHERE deployment_id GLOBAL IN window_deployments AND notEmpty(commits)
    ),
    -- Window deployments that list a commit some change names.
    commit_linked AS {{template "materialized" .}}(
        SELECT DISTINCT deployment_id
        FROM deployments
        ARRAY JOIN commits AS commit
        WHERE deployment_id GLOBAL IN window_deployments
          AND commit GLOBAL IN (SELECT commit FROM change_commits WHERE commit GLOBAL IN window_listed_commits)
    )
{{end}}

{{/* Tier 3: pushed_links (deployment_id, deploy_started_at, finished_at,
deploy_commit, change_id). Rendered only when a deployment in scope lists
nothing (see NeedsPushes); otherwise empty. */}}
{{define "push_links"}}
{{if .Pushes}}
    -- The services with a deployment that lists nothing, and theirs.
    push_services AS (
        SELECT DISTINCT service
        FROM deployments
        WHERE deployment_id GLOBAL IN candidate_deployments
          AND empty(change_ids) AND empty(commits) AND commit != '' AND branch != ''
    ),
    push_candidates AS (
        SELECT deployment_id
        FROM deployments
        WHERE service GLOBAL IN push_services AND deployment_id GLOBAL IN candidate_deployments
    ),
    push_deps AS ({{template "deployment_state" "push_candidates"}}),
    -- Every commit pushed to those branches, placed in the branch's history:
    -- a chain is a run of pushes each starting where the one before ended (a
    -- force-push starts a new chain); pos orders commits along the branch.
    pushed AS (
        SELECT repo, branch, chain, seq * 1000000 + i AS pos, commit
        FROM (
            SELECT
                repo, branch, commits,
                row_number() OVER (PARTITION BY repo, branch ORDER BY pushed_at, event_id) AS seq,
                sum(toUInt64(before != previous_after)) OVER (PARTITION BY repo, branch ORDER BY pushed_at, event_id
                                                              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS chain
            FROM (
                SELECT
                    repo, branch, event_id, pushed_at, before, commits,
                    lagInFrame(after, 1, '') OVER (PARTITION BY repo, branch ORDER BY pushed_at, event_id
                                                   ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS previous_after
                FROM (
                    SELECT repo, branch, event_id,
                           argMax(pushed_at, ingested_at) AS pushed_at,
                           argMax(before, ingested_at)    AS before,
                           argMax(after, ingested_at)     AS after,
                           argMax(commits, ingested_at)   AS commits
                    FROM pushes
                    WHERE (repo, branch) GLOBAL IN (SELECT repo, branch FROM deployments WHERE deployment_id GLOBAL IN push_candidates)
                    GROUP BY repo, branch, event_id
                )
            )
        )
        ARRAY JOIN commits AS commit, arrayEnumerate(commits) AS i
    ),
    -- Successful deployments of those services whose commit was pushed, kept
    -- when they reach further along their chain than every earlier one of the
    -- same service: each is the first to include the commits between the
    -- previous reach and its own.
    reach AS (
        SELECT deployment_id, service, started_at, finished_at, commit, lists_nothing, repo, branch, chain, pos
        FROM (
            SELECT
                d.deployment_id AS deployment_id, d.service AS service, d.started_at AS started_at,
                d.finished_at AS finished_at, d.commit AS commit, d.lists_nothing AS lists_nothing,
                p.repo AS repo, p.branch AS branch, p.last_chain AS chain, p.last_pos AS pos,
                max(p.last_pos) OVER (PARTITION BY d.service, p.repo, p.branch, p.last_chain ORDER BY d.finished_at, d.deployment_id
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reached_before
            FROM push_deps AS d
            INNER JOIN (
                -- where a commit was last pushed
                SELECT repo, branch, commit, argMax(chain, pos) AS last_chain, max(pos) AS last_pos
                FROM pushed
                GROUP BY repo, branch, commit
            ) AS p ON p.repo = d.repo AND p.branch = d.branch AND p.commit = d.commit
            WHERE d.status = 'success'
        )
        WHERE pos > reached_before
    ),
    -- Each pushed commit belongs to the first deployment that reached it;
    -- only deployments that list nothing take links this way.
    pushed_links AS (
        SELECT
            r.deployment_id AS deployment_id, r.started_at AS deploy_started_at, r.finished_at AS finished_at,
            r.commit AS deploy_commit, c.change_id AS change_id
        FROM (
            SELECT s.service AS service, p.repo AS repo, p.branch AS branch, p.chain AS chain, p.pos AS pos, p.commit AS commit
            FROM pushed AS p
            INNER JOIN (SELECT DISTINCT service, repo, branch FROM push_deps) AS s ON s.repo = p.repo AND s.branch = p.branch
        ) AS pc
        ASOF INNER JOIN reach AS r
            ON r.service = pc.service AND r.repo = pc.repo AND r.branch = pc.branch AND r.chain = pc.chain AND pc.pos <= r.pos
        INNER JOIN (
            SELECT DISTINCT commit, change_id FROM change_commits WHERE commit GLOBAL IN (SELECT commit FROM pushed)
        ) AS c ON c.commit = pc.commit
        WHERE r.lists_nothing
    )
{{else}}
    pushed_links AS (
        SELECT '' AS deployment_id, toDateTime64(0, 9, 'UTC') AS deploy_started_at, toDateTime64(0, 9, 'UTC') AS finished_at,
               '' AS deploy_commit, '' AS change_id
        WHERE 0
    )
{{end}}
{{end}}

{{/* The changes whose first successful deployment in scope can fall in the
window (a superset), the deployments that can include them, and each
change's first successful deployment (firsts). Needs "window_deployments",
"commit_lookups" and "push_links". */}}
{{define "lead_links"}}
    window_changes AS {{template "materialized" .}}(
        SELECT arrayJoin(change_ids) AS change_id
        FROM deployments
        WHERE deployment_id GLOBAL IN window_deployments AND notEmpty(change_ids)
        UNION ALL
        SELECT change_id
        FROM change_commits
        WHERE commit GLOBAL IN window_listed_commits
        UNION ALL
        SELECT change_id
        FROM pushed_links
        WHERE finished_at >= {from:DateTime64(9, 'UTC')} AND finished_at < {to:DateTime64(9, 'UTC')}
    ),
    -- Deployments of the scope that can include a window change: the
    -- window's, and any other that lists one of its changes or commits.
    lead_candidates AS {{template "materialized" .}}(
        SELECT deployment_id FROM window_deployments
        UNION ALL
        SELECT deployment_id
        FROM deployments
        ARRAY JOIN change_ids AS listed
        WHERE deployment_id GLOBAL IN candidate_deployments AND listed GLOBAL IN window_changes
        UNION ALL
        SELECT deployment_id
        FROM deployments
        ARRAY JOIN commits AS listed
        WHERE deployment_id GLOBAL IN candidate_deployments
          AND listed GLOBAL IN (
              SELECT arrayJoin(arrayConcat([merge_commit], commits)) FROM changes WHERE change_id GLOBAL IN window_changes)
    ),
    lead_deps AS {{template "materialized" .}}({{template "deployment_state" "lead_candidates"}}),
{{template "listed_links" (args "lead_deps" "lead_candidates")}},
{{template "firsts"}}
{{end}}

{{/* Tiers 1 and 2 over the deployments of the named CTE (whose ids the
second names), one row per link; a deployment linked to nothing this way
keeps one row with change_id ''. */}}
{{define "listed_links"}}
    listed_links AS (
        SELECT
            k.deployment_id                           AS deployment_id,
            k.started_at                              AS deploy_started_at,
            k.finished_at                             AS finished_at,
            k.commit                                  AS deploy_commit,
            k.status                                  AS status,
            if(k.by_commit, c.change_id, k.key)       AS change_id,
            if(k.by_commit, 'commits', 'change_ids')  AS linked_by
        FROM (
            SELECT deployment_id, started_at, finished_at, commit, status, empty(change_ids) AS by_commit,
                   arrayJoin(multiIf(notEmpty(change_ids), change_ids, notEmpty(commits), commits, [''])) AS key
            FROM {{index . 0}}
        ) AS k
        LEFT JOIN (
            SELECT DISTINCT commit, change_id
            FROM change_commits
            WHERE commit GLOBAL IN (SELECT arrayJoin(commits) FROM deployments WHERE deployment_id GLOBAL IN {{index . 1}} AND notEmpty(commits))
        ) AS c ON c.commit = if(k.by_commit, k.key, '')
    )
{{end}}

{{/* Each change's first successful deployment among those linked. */}}
{{define "firsts"}}
    firsts AS (
        SELECT
            change_id,
            min(finished_at)                        AS deployed_at,
            argMin(deployment_id, finished_at)      AS deployment_id,
            argMin(deploy_started_at, finished_at)  AS deploy_started_at,
            argMin(deploy_commit, finished_at)      AS deploy_commit,
            argMin(linked_by, finished_at)          AS linked_by
        FROM (
            SELECT deployment_id, deploy_started_at, finished_at, deploy_commit, change_id, linked_by
            FROM listed_links
            WHERE status = 'success' AND change_id != ''
            UNION ALL
            SELECT deployment_id, deploy_started_at, finished_at, deploy_commit, change_id, 'pushes' AS linked_by
            FROM pushed_links
        )
        GROUP BY change_id
    )
{{end}}

{{/* Everything lead times and waterfalls start from: the scope, its
window's deployments, their links and each change's first successful
deployment (firsts). */}}
{{define "window_links"}}
{{template "scope" .}},
{{template "window_deployments" .}},
{{template "commit_lookups" .}},
{{template "push_links" .}},
{{template "lead_links" .}}
{{end}}

{{/* Each change's first successful deployment among those linked, per
team of the deploying deployment (own_team, the team its events name): a
team's scope takes the earliest of its own. Needs "lead_links". */}}
{{define "team_firsts"}}
    team_firsts AS (
        SELECT
            l.change_id                                 AS change_id,
            t.own_team                                  AS team,
            min(l.finished_at)                          AS deployed_at,
            argMin(l.deployment_id, l.finished_at)      AS deployment_id,
            argMin(l.deploy_started_at, l.finished_at)  AS deploy_started_at,
            argMin(l.deploy_commit, l.finished_at)      AS deploy_commit
        FROM (
            SELECT deployment_id, deploy_started_at, finished_at, deploy_commit, change_id
            FROM listed_links
            WHERE status = 'success' AND change_id != ''
            UNION ALL
            SELECT deployment_id, deploy_started_at, finished_at, deploy_commit, change_id
            FROM pushed_links
        ) AS l
        INNER JOIN (SELECT deployment_id, own_team FROM lead_deps) AS t ON t.deployment_id = l.deployment_id
        GROUP BY change_id, team
    )
{{end}}

{{/* The merged state of the changes whose ids the named CTE or subquery
lists. */}}
{{define "change_state"}}
        SELECT
            change_id,
            argMaxIf(title, (observed_at, event_id), title != '')                      AS title,
            argMaxIf(repo, (observed_at, event_id), repo != '')                        AS repo,
            argMaxIf(first_commit_at, (observed_at, event_id), first_commit_at > 0)    AS first_commit_at,
            argMaxIf(opened_at, (observed_at, event_id), opened_at > 0)                AS opened_at,
            argMaxIf(first_review_at, (observed_at, event_id), first_review_at > 0)    AS first_review_at,
            argMaxIf(approved_at, (observed_at, event_id), approved_at > 0)            AS approved_at,
            argMaxIf(merged_at, (observed_at, event_id), merged_at > 0)                AS merged_at,
            argMaxIf(merge_commit, (observed_at, event_id), merge_commit != '')        AS merge_commit
        FROM changes
        WHERE change_id GLOBAL IN {{.}}
        GROUP BY change_id
{{end}}

{{/* Where a change's lead time starts: first_commit_at, else opened_at,
else merged_at (zero when it gave none); over change_state columns of the
given table alias. */}}
{{define "lead_start"}}multiIf({{.}}.first_commit_at > 0, {{.}}.first_commit_at, {{.}}.opened_at > 0, {{.}}.opened_at, {{.}}.merged_at){{end}}
{{define "lead_start_field"}}multiIf({{.}}.first_commit_at > 0, 'first_commit_at', {{.}}.opened_at > 0, 'opened_at', {{.}}.merged_at > 0, 'merged_at', ''){{end}}
