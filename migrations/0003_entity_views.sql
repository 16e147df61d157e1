-- deploylens schema 3: the current state of each delivery entity.
--
-- Entity tables hold one row per received event. An entity's state is, field
-- by field, the value of the latest event (by observed_at, then event_id, so
-- the result does not depend on arrival order) that gave the field a value;
-- list fields are the union of every event's lists. A field an event leaves
-- empty never erases what an earlier event said.

CREATE VIEW IF NOT EXISTS changes_current {{onCluster}} AS
SELECT
    change_id,
    argMaxIf(team, (observed_at, event_id), team != '')                          AS team,
    argMaxIf(service, (observed_at, event_id), service != '')                    AS service,
    argMaxIf(environment, (observed_at, event_id), environment != '')            AS environment,
    argMaxIf(repo, (observed_at, event_id), repo != '')                          AS repo,
    argMaxIf(title, (observed_at, event_id), title != '')                        AS title,
    argMaxIf(author, (observed_at, event_id), author != '')                      AS author,
    argMaxIf(branch, (observed_at, event_id), branch != '')                      AS branch,
    argMaxIf(base_branch, (observed_at, event_id), base_branch != '')            AS base_branch,
    argMaxIf(first_commit_at, (observed_at, event_id), first_commit_at > 0)      AS first_commit_at,
    argMaxIf(opened_at, (observed_at, event_id), opened_at > 0)                  AS opened_at,
    argMaxIf(first_review_at, (observed_at, event_id), first_review_at > 0)      AS first_review_at,
    argMaxIf(approved_at, (observed_at, event_id), approved_at > 0)              AS approved_at,
    argMaxIf(merged_at, (observed_at, event_id), merged_at > 0)                  AS merged_at,
    argMaxIf(merge_commit, (observed_at, event_id), merge_commit != '')          AS merge_commit,
    arraySort(groupUniqArrayArray(commits))                                      AS commits,
    arraySort(groupUniqArrayArray(labels))                                       AS labels,
    max(observed_at)                                                             AS last_observed_at,
    count()                                                                      AS events
FROM changes
GROUP BY change_id;

CREATE VIEW IF NOT EXISTS pipeline_stages_current {{onCluster}} AS
SELECT
    pipeline,
    run_id,
    stage,
    argMaxIf(team, (observed_at, event_id), team != '')                          AS team,
    argMaxIf(service, (observed_at, event_id), service != '')                    AS service,
    argMaxIf(environment, (observed_at, event_id), environment != '')            AS environment,
    argMaxIf(kind, (observed_at, event_id), kind != 'other')                     AS kind,
    argMaxIf(queued_at, (observed_at, event_id), queued_at > 0)                  AS queued_at,
    argMaxIf(started_at, (observed_at, event_id), started_at > 0)                AS started_at,
    argMaxIf(finished_at, (observed_at, event_id), finished_at > 0)              AS finished_at,
    argMaxIf(result, (observed_at, event_id), result != 'unknown')               AS result,
    argMaxIf(commit, (observed_at, event_id), commit != '')                      AS commit,
    arraySort(groupUniqArrayArray(change_ids))                                   AS change_ids,
    max(observed_at)                                                             AS last_observed_at,
    count()                                                                      AS events
FROM pipeline_stages
GROUP BY pipeline, run_id, stage;

CREATE VIEW IF NOT EXISTS deployments_current {{onCluster}} AS
SELECT
    deployment_id,
    argMaxIf(team, (observed_at, event_id), team != '')                          AS team,
    argMaxIf(service, (observed_at, event_id), service != '')                    AS service,
    argMaxIf(environment, (observed_at, event_id), environment != '')            AS environment,
    argMaxIf(version, (observed_at, event_id), version != '')                    AS version,
    argMaxIf(commit, (observed_at, event_id), commit != '')                      AS commit,
    argMaxIf(branch, (observed_at, event_id), branch != '')                      AS branch,
    argMaxIf(repo, (observed_at, event_id), repo != '')                          AS repo,
    argMaxIf(started_at, (observed_at, event_id), started_at > 0)                AS started_at,
    argMaxIf(finished_at, (observed_at, event_id), finished_at > 0)              AS finished_at,
    argMaxIf(status, (observed_at, event_id), status != 'unknown')               AS status,
    argMaxIf(rollback_of, (observed_at, event_id), rollback_of != '')            AS rollback_of,
    max(unplanned)                                                               AS unplanned,
    arraySort(groupUniqArrayArray(change_ids))                                   AS change_ids,
    arraySort(groupUniqArrayArray(commits))                                      AS commits,
    max(observed_at)                                                             AS last_observed_at,
    count()                                                                      AS events
FROM deployments
GROUP BY deployment_id;

CREATE VIEW IF NOT EXISTS incidents_current {{onCluster}} AS
SELECT
    incident_id,
    argMaxIf(team, (observed_at, event_id), team != '')                          AS team,
    argMaxIf(service, (observed_at, event_id), service != '')                    AS service,
    argMaxIf(environment, (observed_at, event_id), environment != '')            AS environment,
    argMaxIf(severity, (observed_at, event_id), severity != '')                  AS severity,
    argMaxIf(title, (observed_at, event_id), title != '')                        AS title,
    argMaxIf(opened_at, (observed_at, event_id), opened_at > 0)                  AS opened_at,
    argMaxIf(resolved_at, (observed_at, event_id), resolved_at > 0)              AS resolved_at,
    argMaxIf(caused_by_deployment, (observed_at, event_id), caused_by_deployment != '') AS caused_by_deployment,
    max(observed_at)                                                             AS last_observed_at,
    count()                                                                      AS events
FROM incidents
GROUP BY incident_id;
