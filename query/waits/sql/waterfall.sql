{{/*
The waterfall of a change: every second from the start of its lead time
(first_commit_at, else opened_at, else merged_at) to the finish of its first
successful deployment in scope, in exactly one named segment, each active or
waiting.

Before the pipeline — from the start to the last of opened, first review,
approved, merged that the change gives (each clamped into the lead time and
never before the one before it) — the segment is named by the events that
bound it:

  start → any        coding              active
  opened → review    review pickup wait  waiting
  opened → approved  approval wait       waiting
  opened → merged    merge wait          waiting
  review → approved  review              active
  review → merged    review              active
  approved → merged  merge wait          waiting

After it, the pipeline stages that name the change or its deployed commit,
and the deployment itself, clipped to the rest of the lead time; where they
overlap the busiest wins (bake/canary, deploying, ci running, approval gate,
ci queue wait):

  queued_at → started_at of a stage     ci queue wait   waiting  (per stage)
  started_at → finished_at of a stage   ci running      active   (build, test, other)
                                        approval gate   waiting  (approval)
                                        deploying       active   (deploy)
                                        bake/canary     active   (bake, canary)
  the deployment's started_at → finish  deploying       active
  nothing going on, before a stage      hand-off        waiting
  nothing going on, before the
    deployment or a deploy stage to
    the environment, or at the end      deploy window wait  waiting

A gap is charged to the stage (or the deployment) that ends it.

Expects WITH items `subjects` (change_id, team, deployment_id, deployed_at,
deploy_started_at, deploy_commit, bucket; team is carried along), `subject_change_ids` (a superset
of their change ids) and `stage_lookup_keys` (a superset of their change ids
and deployed commits). Times are handled as Int64 nanoseconds.
*/}}

{{define "waterfall"}}
    subject_stage_keys AS {{template "materialized" .}}(
        SELECT DISTINCT key, pipeline, run_id, stage
        FROM stage_keys
        WHERE key GLOBAL IN stage_lookup_keys
    ),
    -- Each linked stage's merged state, listed under the key that links it.
    stages_by_key AS {{template "materialized" .}}(
        SELECT k.key AS key,
               groupArray((s.pipeline, s.stage, s.kind, s.environment,
                           toUnixTimestamp64Nano(s.queued_at), toUnixTimestamp64Nano(s.started_at), toUnixTimestamp64Nano(s.finished_at))) AS stages
        FROM subject_stage_keys AS k
        INNER JOIN (
            SELECT
                pipeline, run_id, stage,
                toString(argMaxIf(kind, (observed_at, event_id), kind != 'other'))       AS kind,
                argMaxIf(environment, (observed_at, event_id), environment != '')        AS environment,
                argMaxIf(queued_at, (observed_at, event_id), queued_at > 0)              AS queued_at,
                argMaxIf(started_at, (observed_at, event_id), started_at > 0)            AS started_at,
                argMaxIf(finished_at, (observed_at, event_id), finished_at > 0)          AS finished_at
            FROM pipeline_stages
            WHERE (pipeline, run_id, stage) GLOBAL IN (SELECT pipeline, run_id, stage FROM subject_stage_keys)
            GROUP BY pipeline, run_id, stage
        ) AS s ON s.pipeline = k.pipeline AND s.run_id = k.run_id AND s.stage = k.stage
        GROUP BY k.key
    ),
    -- One row per subject with its change's times and its stages (those
    -- that name the change and those that name its deployed commit).
    subject_rows AS (
        SELECT
            s.change_id                                               AS change_id,
            s.team                                                    AS team,
            s.deployment_id                                           AS deployment_id,
            s.bucket                                                  AS bucket,
            s.deployed_at                                             AS deployed_at,
            s.deploy_started_at                                       AS deploy_started_at,
            {{template "lead_start" "c"}}                             AS started_at,
            {{template "lead_start_field" "c"}}                       AS started_from,
            c.opened_at                                               AS opened_at,
            c.first_review_at                                         AS first_review_at,
            c.approved_at                                             AS approved_at,
            c.merged_at                                               AS merged_at,
            arrayDistinct(arrayConcat(by_change.stages, by_commit.stages)) AS stages
        FROM subjects AS s
        LEFT JOIN ({{template "change_state" "subject_change_ids"}}) AS c ON c.change_id = s.change_id
        LEFT JOIN stages_by_key AS by_change ON by_change.key = s.change_id
        LEFT JOIN stages_by_key AS by_commit ON by_commit.key = s.deploy_commit
    ),
    -- Each step below is its own subquery so that ClickHouse reads the
    -- arrays it builds as columns instead of re-expanding their expressions.
    w_review AS (
        SELECT *,
            toUnixTimestamp64Nano(started_at) AS s_ns,
            toUnixTimestamp64Nano(deployed_at) AS e_ns,
            -- The review events the change gives, in order.
            arrayFilter(p -> p.2 > 0, [
                ('opened', toUnixTimestamp64Nano(opened_at)),
                ('review', toUnixTimestamp64Nano(first_review_at)),
                ('approved', toUnixTimestamp64Nano(approved_at)),
                ('merged', toUnixTimestamp64Nano(merged_at))]) AS pr_given
        FROM subject_rows
        WHERE started_from != '' AND started_at <= deployed_at
    ),
    w_marks AS (
        SELECT *,
            -- Clamped into the lead time, never before the event before.
            arrayConcat([('start', s_ns)],
                arrayMap(i -> (pr_given[i].1, least(e_ns, greatest(s_ns, arrayMax(arrayMap(p -> p.2, arraySlice(pr_given, 1, i)))))),
                         arrayEnumerate(pr_given))) AS marks
        FROM w_review
    ),
    w_intervals AS (
        SELECT *,
            arrayMap(i -> (
                multiIf(marks[i].1 = 'start', 'coding',
                        marks[i].1 = 'opened' AND marks[i + 1].1 = 'review', 'review pickup wait',
                        marks[i].1 = 'opened' AND marks[i + 1].1 = 'approved', 'approval wait',
                        marks[i].1 = 'review', 'review',
                        'merge wait'),
                if(marks[i].1 IN ('start', 'review'), 'active', 'waiting'),
                '', '', marks[i].2, marks[i + 1].2), arrayEnumerate(arrayPopBack(marks))) AS pr_segments,
            -- The pipeline part starts where the review part ends.
            marks[-1].2 AS p_ns,
            -- Stage and deployment intervals clipped to [p_ns, e_ns]:
            -- (name, state, pipeline, stage, start, end, priority, environment, kind)
            arrayFilter(x -> x.6 > x.5, arrayConcat(
                arrayMap(st -> ('ci queue wait', 'waiting', st.1, st.2, greatest(p_ns, st.5), least(e_ns, st.6), 1, st.4, st.3),
                         arrayFilter(st -> st.5 > 0 AND st.6 > 0, stages)),
                arrayMap(st -> (
                    multiIf(st.3 IN ('bake', 'canary'), 'bake/canary', st.3 = 'deploy', 'deploying', st.3 = 'approval', 'approval gate', 'ci running'),
                    if(st.3 = 'approval', 'waiting', 'active'),
                    st.1, st.2, greatest(p_ns, st.6), least(e_ns, st.7),
                    multiIf(st.3 IN ('bake', 'canary'), 5, st.3 = 'deploy', 4, st.3 = 'approval', 2, 3),
                    st.4, st.3),
                    arrayFilter(st -> st.6 > 0 AND st.7 > 0, stages)),
                if(deploy_started_at > toDateTime64(0, 9, 'UTC'),
                   [('deploying', 'active', '', 'deployment', greatest(p_ns, toUnixTimestamp64Nano(deploy_started_at)), e_ns, 4, {environment:String}, 'deploy')],
                   []))) AS intervals
        FROM w_marks
    ),
    w_cuts AS (
        SELECT *,
            arraySort(x -> x.5, intervals) AS by_start,
            arraySort(arrayDistinct(arrayConcat([p_ns, e_ns], arrayMap(x -> x.5, intervals), arrayMap(x -> x.6, intervals)))) AS cuts
        FROM w_intervals
    ),
    -- Each piece between cuts goes to the busiest interval covering it; an
    -- uncovered piece is a hand-off to the interval that ends it, or a wait
    -- for the deploy window before a deployment or at the end.
    w_cover AS (
        SELECT *,
            arrayMap(i -> arrayReverseSort(x -> (x.7, -x.5), arrayFilter(x -> x.5 <= cuts[i] AND x.6 >= cuts[i + 1], intervals))[1],
                     arrayEnumerate(arrayPopBack(cuts))) AS covers,
            arrayMap(i -> arrayFirst(x -> x.5 >= cuts[i + 1], by_start), arrayEnumerate(arrayPopBack(cuts))) AS nexts
        FROM w_cuts
    ),
    w_pieces AS (
        SELECT *,
            arrayMap((c, n, i) -> (
                if(c.1 != '', c.1,
                   if(n.1 = '' OR n.4 = 'deployment' OR (n.9 = 'deploy' AND n.8 IN ({environment:String}, '')), 'deploy window wait', 'hand-off')),
                if(c.1 != '', c.2, 'waiting'),
                if(c.1 != '', c.3, n.3),
                if(c.1 != '', c.4, n.4),
                cuts[i], cuts[i + 1]), covers, nexts, arrayEnumerate(covers)) AS pieces
        FROM w_cover
    ),
    -- Adjacent pieces with the same name and stage make one segment.
    waterfalls AS (
        SELECT
            change_id, team, deployment_id, bucket, started_at, started_from, deployed_at, s_ns, e_ns,
            arrayFilter(x -> x.6 > x.5, arrayConcat(pr_segments,
                if(empty(pieces), [],
                   arrayMap(r -> (r[1].1, r[1].2, r[1].3, r[1].4, r[1].5, r[-1].6),
                            arraySplit((p, o) -> o, pieces,
                                       arrayMap(i -> i = 1 OR pieces[i].1 != pieces[i - 1].1 OR pieces[i].3 != pieces[i - 1].3 OR pieces[i].4 != pieces[i - 1].4,
                                                arrayEnumerate(pieces))))))) AS segments
        FROM w_pieces
    )
{{end}}
