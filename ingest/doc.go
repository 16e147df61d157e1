// Package ingest is where delivery events enter deploylens. Each source has
// a receiver in its own package — native (the v1 schema), cdevents, github,
// gitlab, pagerduty, opsgenie — that authenticates a request, splits it into
// deliveries and translates each into delivery.Events. This package holds
// what they share:
//
//   - Writer: deduplicates deliveries, fills teams from the service catalog,
//     buffers entity rows and the raw copy (Rows) and commits them through
//     the group committer (ingest/commit) before the request is answered.
//   - Handle: the one HTTP path of every receiver (size cap, decode, write,
//     answer), and Respond, the one place errors become status codes.
//   - Catalog: service → team, from the service_catalog table and an
//     optional YAML file.
//   - Replayer: re-translates stored raw copies with today's translators.
//
// ingest/receivers mounts them all on the server with one committer and
// writer; ingest/ingesttest gives their tests a real pipeline.
//
// One event's path: HTTP body → receiver's decode/translate (e.g.
// ingest/native/decode.go) → Writer.Write (writer.go) → Rows.AppendTo
// (rows.go) → commit.Committer → ClickHouse.
package ingest
