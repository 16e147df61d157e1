{{/*
Maps the writes stamped at or after {since:DateTime64(3, 'UTC')}
(entity_touches, migration 0007) to the services they reach: per service,
whether the write is a pipeline run's (by_stage) and the latest such write.
The rows go to cell_marks; a cell whose latest mark is at or after its
computation is stale.

A write reaches a cell through:
  - a deployment: every service any event of that deployment named;
  - an incident: its services, and those of the deployment it names;
  - a change: the deployments that list its id, its merge commit or one of
    its commits, or deployed one of them (deployment_keys), and the
    deployments linked by push chains in its repository;
  - a push: the deployments of its repository and branch;
  - a pipeline run: as a change, each change its stages name, and the
    deployments of the commits they name.
*/}}
WITH
    touched AS (
        SELECT kind, touch.1 AS id, touch.2 AS branch, max(at) AS last_at
        FROM entity_touches
        ARRAY JOIN ids AS touch
        WHERE at >= {since:DateTime64(3, 'UTC')}
        GROUP BY kind, id, branch
    ),
    -- The change ids and commits that the stages of the runs written name.
    stage_named AS (
        SELECT arrayJoin(arrayConcat(s.change_ids, [s.commit])) AS key, t.at AS at
        FROM pipeline_stages AS s
        INNER JOIN (SELECT id, branch, last_at AS at FROM touched WHERE kind = 'stage') AS t
            ON t.id = s.pipeline AND t.branch = s.run_id
        WHERE (s.pipeline, s.run_id) GLOBAL IN (SELECT id, branch FROM touched WHERE kind = 'stage')
    ),
    -- Changes written, or named by a stage written (by_stage).
    changed AS (
        SELECT id AS change_id, last_at AS at, false AS by_stage FROM touched WHERE kind = 'change'
        UNION ALL
        SELECT key, at, true FROM stage_named WHERE key != ''
    ),
    -- What a deployment can list or deploy that leads to those changes.
    change_keys AS (
        SELECT key, max(at) AS key_at, by_stage
        FROM (
            SELECT arrayJoin(arrayConcat([c.change_id, c.merge_commit], c.commits)) AS key, t.at AS at, t.by_stage AS by_stage
            FROM changes AS c
            INNER JOIN changed AS t ON t.change_id = c.change_id
            WHERE c.change_id GLOBAL IN (SELECT change_id FROM changed)
            UNION ALL
            SELECT key, at, true FROM stage_named
        )
        WHERE key != ''
        GROUP BY key, by_stage
    ),
    -- Deployments reached by the writes, with when.
    reached AS (
        SELECT id AS deployment_id, last_at AS at, false AS by_stage FROM touched WHERE kind = 'deployment'
        UNION ALL
        SELECT i.caused_by_deployment, t.at, false
        FROM incidents AS i
        INNER JOIN (SELECT id, last_at AS at FROM touched WHERE kind = 'incident') AS t ON t.id = i.incident_id
        WHERE i.incident_id GLOBAL IN (SELECT id FROM touched WHERE kind = 'incident') AND i.caused_by_deployment != ''
        UNION ALL
        SELECT k.deployment_id, ck.key_at, ck.by_stage
        FROM deployment_keys AS k
        INNER JOIN change_keys AS ck ON ck.key = k.key
        WHERE k.key GLOBAL IN (SELECT key FROM change_keys)
    ),
    touched_services AS (
        SELECT d.service AS service, r.at AS at, r.by_stage AS by_stage
        FROM deployments AS d
        INNER JOIN reached AS r ON r.deployment_id = d.deployment_id
        WHERE d.deployment_id GLOBAL IN (SELECT deployment_id FROM reached)
        UNION ALL
        SELECT i.service, t.at, false
        FROM incidents AS i
        INNER JOIN (SELECT id, last_at AS at FROM touched WHERE kind = 'incident') AS t ON t.id = i.incident_id
        WHERE i.incident_id GLOBAL IN (SELECT id FROM touched WHERE kind = 'incident')
        UNION ALL
        -- Push chains: a push links the deployments of its branch; a change
        -- in a repository can link there the deployments that list nothing.
        SELECT d.service, p.at, false
        FROM deployments AS d
        INNER JOIN (SELECT id AS repo, branch, last_at AS at FROM touched WHERE kind = 'push') AS p
            ON p.repo = d.repo AND p.branch = d.branch
        WHERE d.repo GLOBAL IN (SELECT id FROM touched WHERE kind = 'push')
        UNION ALL
        SELECT d.service, r.repo_at, r.by_stage
        FROM deployments AS d
        INNER JOIN (
            SELECT c.repo AS repo, t.by_stage AS by_stage, max(t.at) AS repo_at
            FROM changes AS c
            INNER JOIN changed AS t ON t.change_id = c.change_id
            WHERE c.change_id GLOBAL IN (SELECT change_id FROM changed) AND c.repo != ''
            GROUP BY c.repo, t.by_stage
        ) AS r ON r.repo = d.repo
        WHERE empty(d.change_ids) AND empty(d.commits)
          AND d.repo GLOBAL IN (SELECT repo FROM changes WHERE change_id GLOBAL IN (SELECT change_id FROM changed))
    )
SELECT service, by_stage, max(at) AS at
FROM touched_services
GROUP BY service, by_stage
