-- deploylens schema 4: a change's "first" times are the earliest any event gives.
--
-- first_commit_at and first_review_at are firsts by definition, and several
-- sources state them more than once: every GitHub review and GitLab approval
-- event says "reviewed at", every push says when its commits were made. The
-- latest such event must not move the first review later, so these two
-- fields take the minimum over the events that give them (still independent
-- of arrival order); every other field keeps 0003's "latest event wins".

CREATE OR REPLACE VIEW changes_current {{onCluster}} AS
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
    minIf(first_commit_at, first_commit_at > 0)                                  AS first_commit_at,
    argMaxIf(opened_at, (observed_at, event_id), opened_at > 0)                  AS opened_at,
    minIf(first_review_at, first_review_at > 0)                                  AS first_review_at,
    argMaxIf(approved_at, (observed_at, event_id), approved_at > 0)              AS approved_at,
    argMaxIf(merged_at, (observed_at, event_id), merged_at > 0)                  AS merged_at,
    argMaxIf(merge_commit, (observed_at, event_id), merge_commit != '')          AS merge_commit,
    arraySort(groupUniqArrayArray(commits))                                      AS commits,
    arraySort(groupUniqArrayArray(labels))                                       AS labels,
    max(observed_at)                                                             AS last_observed_at,
    count()                                                                      AS events
FROM changes
GROUP BY change_id;
