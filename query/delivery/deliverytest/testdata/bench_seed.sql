-- A large synthetic delivery history for benchmarks, generated inside
-- ClickHouse with numbers() so that seeding millions of rows takes seconds.
-- Parameters: {teams:UInt32} teams of {services_per_team:UInt32} services;
-- {deployments:UInt64} deployments over {days:UInt32} days ending at
-- {end:DateTime64(9, 'UTC')}, each shipping {changes_per_deployment:UInt32}
-- changes and run by a 4-stage pipeline; one deployment in
-- {commit_listing_every:UInt32} lists commits instead of change ids (0: none).
-- Change ids are repository-qualified (org/service#n), as GitHub's are, so a
-- team's changes sit together in the changes table's key order.
-- Statements are separated by lines holding only ';'.

INSERT INTO service_catalog (service, team, updated_at, deleted, attributes)
SELECT concat('svc-', leftPad(toString(number), 3, '0')),
       concat('team-', leftPad(toString(intDiv(number, {services_per_team:UInt32})), 2, '0')),
       toDateTime64('2020-01-01 00:00:00', 3, 'UTC'), false, map()
FROM numbers({teams:UInt32} * {services_per_team:UInt32})
;
INSERT INTO deployments (deployment_id, event_id, observed_at, ingested_at, source, team, service, environment, version, commit, branch, repo,
  started_at, finished_at, status, rollback_of, unplanned, change_ids, commits, attributes)
WITH
  {teams:UInt32} * {services_per_team:UInt32} AS n_services,
  number % n_services AS s,
  concat('svc-', leftPad(toString(s), 3, '0')) AS svc,
  cityHash64(number, 'dep') AS h,
  {commit_listing_every:UInt32} > 0 AND h % {commit_listing_every:UInt32} = 7 AS lists_commits,
  toDateTime64({end:DateTime64(9, 'UTC')}, 9, 'UTC')
    - toIntervalSecond(toUInt64(({days:UInt32} * 86400) * (1 - number / {deployments:UInt64}))) + toIntervalSecond(h % 600) AS fin
SELECT
  concat(svc, '/d', leftPad(toString(number), 9, '0')), concat('e', toString(number)), fin, fin, 'bench',
  if(number % 2 = 0, concat('team-', leftPad(toString(intDiv(s, {services_per_team:UInt32})), 2, '0')), ''),
  svc, if(h % 10 = 0, 'staging', 'production'), toString(number), lower(hex(cityHash64(number, 'commit'))), 'main', concat('org/', svc),
  fin - toIntervalSecond(60 + h % 900), fin,
  if(h % 100 < 3, 'failure', 'success'),
  if(h % 100 = 3 AND number >= n_services, concat(svc, '/d', leftPad(toString(number - n_services), 9, '0')), ''),
  h % 100 = 4,
  if(lists_commits, [], arrayMap(k -> concat('org/', svc, '#', toString(number * {changes_per_deployment:UInt32} + k)), range({changes_per_deployment:UInt32}))),
  if(lists_commits, arrayMap(k -> lower(hex(cityHash64(number * {changes_per_deployment:UInt32} + k, 'merge'))), range({changes_per_deployment:UInt32})), []),
  map()
FROM numbers({deployments:UInt64})
;
INSERT INTO changes (change_id, event_id, observed_at, ingested_at, source, team, service, environment, repo, title, author, branch, base_branch,
  first_commit_at, opened_at, first_review_at, approved_at, merged_at, merge_commit, commits, labels, attributes)
WITH
  {teams:UInt32} * {services_per_team:UInt32} AS n_services,
  intDiv(number, {changes_per_deployment:UInt32}) AS d,
  d % n_services AS s,
  concat('svc-', leftPad(toString(s), 3, '0')) AS svc,
  cityHash64(number, 'chg') AS h,
  toDateTime64({end:DateTime64(9, 'UTC')}, 9, 'UTC') - toIntervalSecond(toUInt64(({days:UInt32} * 86400) * (1 - d / {deployments:UInt64}))) AS dep_fin,
  dep_fin - toIntervalSecond(1800 + h % 7200) AS merged,
  merged - toIntervalSecond(60 + bitShiftRight(h, 8) % 14400) AS approved,
  approved - toIntervalSecond(60 + bitShiftRight(h, 16) % 28800) AS reviewed,
  reviewed - toIntervalSecond(60 + bitShiftRight(h, 24) % 43200) AS opened,
  opened - toIntervalSecond(60 + bitShiftRight(h, 32) % 172800) AS first_commit
SELECT
  concat('org/', svc, '#', toString(number)), concat('c', toString(number)), merged, merged, 'bench', '', svc, '', concat('org/', svc),
  concat('change ', toString(number)), concat('dev', toString(h % 50)), concat('feature-', toString(number)), 'main',
  if(h % 50 = 0, toDateTime64(0, 9, 'UTC'), first_commit), opened, reviewed, approved, merged,
  lower(hex(cityHash64(number, 'merge'))), [lower(hex(cityHash64(number, 'c1')))], [], map()
FROM numbers({deployments:UInt64} * {changes_per_deployment:UInt32})
;
INSERT INTO pipeline_stages (pipeline, run_id, stage, event_id, observed_at, ingested_at, source, team, service, environment, kind,
  queued_at, started_at, finished_at, result, commit, change_ids, attributes)
WITH
  {teams:UInt32} * {services_per_team:UInt32} AS n_services,
  intDiv(number, 4) AS d,
  number % 4 AS j,
  d % n_services AS s,
  concat('svc-', leftPad(toString(s), 3, '0')) AS svc,
  cityHash64(d, 'dep') AS h,
  toDateTime64({end:DateTime64(9, 'UTC')}, 9, 'UTC')
    - toIntervalSecond(toUInt64(({days:UInt32} * 86400) * (1 - d / {deployments:UInt64}))) + toIntervalSecond(h % 600) AS fin,
  fin - toIntervalSecond(60 + h % 900) AS dep_start,
  dep_start - toIntervalSecond((4 - j) * 900 + cityHash64(number, 'q') % 600) AS queued
SELECT
  concat(svc, '-ci'), toString(d), ['build', 'test', 'approve', 'canary'][j + 1], concat('s', toString(number)), queued, queued, 'bench',
  '', svc, 'production', ['build', 'test', 'approval', 'canary'][j + 1],
  queued, queued + toIntervalSecond(cityHash64(number, 's') % 300), queued + toIntervalSecond(300 + cityHash64(number, 'f') % 500), 'success',
  lower(hex(cityHash64(d, 'commit'))),
  arrayMap(k -> concat('org/', svc, '#', toString(d * {changes_per_deployment:UInt32} + k)), range({changes_per_deployment:UInt32})),
  map()
FROM numbers({deployments:UInt64} * 4)
;
INSERT INTO incidents (incident_id, event_id, observed_at, ingested_at, source, team, service, environment, severity, title,
  opened_at, resolved_at, caused_by_deployment, attributes)
WITH
  {teams:UInt32} * {services_per_team:UInt32} AS n_services,
  number * 97 + 11 AS d,
  d % n_services AS s,
  concat('svc-', leftPad(toString(s), 3, '0')) AS svc,
  cityHash64(number, 'inc') AS h,
  toDateTime64({end:DateTime64(9, 'UTC')}, 9, 'UTC')
    - toIntervalSecond(toUInt64(({days:UInt32} * 86400) * (1 - d / {deployments:UInt64}))) + toIntervalSecond(cityHash64(d, 'dep') % 600) AS dep_fin,
  dep_fin + toIntervalSecond(60 + h % 7200) AS opened
SELECT concat('inc-', toString(number)), concat('i', toString(number)), opened, opened, 'bench', '', svc, 'production', 'sev2', 'incident',
  opened, if(h % 10 = 0, toDateTime64(0, 9, 'UTC'), opened + toIntervalSecond(600 + h % 14400)),
  if(h % 2 = 0, concat(svc, '/d', leftPad(toString(d), 9, '0')), ''), map()
FROM numbers(intDiv({deployments:UInt64}, 97))

