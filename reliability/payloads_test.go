//go:build reliability

package reliability

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/klauspost/compress/snappy"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/protobuf/encoding/protowire"
)

// Rows per request of each kind: native events go in batches, as a CI step
// or a webhook relay sends them; telemetry in the batches an OTel SDK or
// Prometheus sends.
const (
	eventsPerRequest  = 20
	spansPerRequest   = 100
	logsPerRequest    = 100
	samplesPerRequest = 100
)

// payloads builds the requests of one test run. Every key it makes starts
// with run, and every row names service, so a run's rows are told apart in
// a store that holds other runs' too.
type payloads struct {
	run     string
	team    string
	service string
	at      time.Time // events happen before this
}

func newPayloads(run string) payloads {
	return payloads{run: run, team: "team-" + run, service: "svc-" + run, at: time.Now().UTC().Truncate(time.Second)}
}

// mixed is the mixed load at the rates of settings.
func (p payloads) mixed() []stream {
	return []stream{
		{kindNative, settings.nativeRate / eventsPerRequest, func(seq int) request { return p.native(seq, eventsPerRequest) }},
		{kindSpans, settings.spanRate / spansPerRequest, func(seq int) request { return p.spans(seq, spansPerRequest) }},
		{kindLogs, settings.logRate / logsPerRequest, func(seq int) request { return p.logs(seq, logsPerRequest) }},
		{kindSamples, settings.sampleRate / samplesPerRequest, func(seq int) request { return p.samples(seq, samplesPerRequest) }},
	}
}

// native is a JSON array of n native events, each about an entity of its
// own (its id is the entity id), cycling through the four event types.
func (p payloads) native(seq, n int) request {
	events := make([]map[string]any, n)
	rows := make(map[string]int, n)
	for i := range events {
		id := fmt.Sprintf("%s-%d-%d", p.run, seq, i)
		rows[id] = 1
		// Spread over the last week, one event a second back from p.at.
		when := p.at.Add(-time.Duration((seq*n+i)%(7*24*3600)) * time.Second)
		t := func(d time.Duration) string { return when.Add(-d).Format(time.RFC3339) }
		ev := map[string]any{"id": id, "team": p.team, "service": p.service}
		switch i % 4 {
		case 0:
			ev["type"], ev["change_id"], ev["opened_at"], ev["merged_at"] = "change", id, t(time.Hour), t(0)
		case 1:
			ev["type"], ev["pipeline"], ev["run_id"], ev["stage"], ev["kind"] = "pipeline_stage", p.service+"-ci", id, "build", "build"
			ev["queued_at"], ev["started_at"], ev["finished_at"], ev["result"] = t(10*time.Minute), t(8*time.Minute), t(0), "success"
		case 2:
			ev["type"], ev["deployment_id"], ev["started_at"], ev["finished_at"], ev["status"] = "deployment", id, t(5*time.Minute), t(0), "success"
		case 3:
			ev["type"], ev["incident_id"], ev["opened_at"], ev["severity"] = "incident", id, t(0), "SEV3"
		}
		events[i] = ev
	}
	body, _ := json.Marshal(events)
	return request{kind: kindNative, path: "/api/v1/events", contentType: "application/json", body: body, rows: rows}
}

// deployments is a JSON array of n deployment events, one entity each.
func (p payloads) deployments(seq, n int) request {
	events := make([]map[string]any, n)
	rows := make(map[string]int, n)
	for i := range events {
		id := fmt.Sprintf("%s-%d-%d", p.run, seq, i)
		rows[id] = 1
		when := p.at.Add(-time.Duration(seq*n+i) * time.Second)
		events[i] = map[string]any{"id": id, "type": "deployment", "team": p.team, "service": p.service,
			"deployment_id": id, "finished_at": when.Format(time.RFC3339), "status": "success"}
	}
	body, _ := json.Marshal(events)
	return request{kind: kindNative, path: "/api/v1/events", contentType: "application/json", body: body, rows: rows}
}

// traceID is the trace id of request seq of this run: one trace per request.
func (p payloads) traceID(seq int) pcommon.TraceID {
	h := fnv.New64a()
	h.Write([]byte(p.run))
	var id pcommon.TraceID
	binary.BigEndian.PutUint64(id[:8], h.Sum64())
	binary.BigEndian.PutUint64(id[8:], uint64(seq)+1)
	return id
}

// spans is an OTLP/HTTP protobuf trace export of one trace with n spans.
func (p payloads) spans(seq, n int) request {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", p.service)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("reliability")
	tid := p.traceID(seq)
	start := time.Now()
	for i := 0; i < n; i++ {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(tid)
		var sid pcommon.SpanID
		binary.BigEndian.PutUint64(sid[:], uint64(i)+1)
		sp.SetSpanID(sid)
		sp.SetName(fmt.Sprintf("GET /items/%d", i%10))
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Duration(i+1) * time.Millisecond)))
		sp.Attributes().PutStr("http.route", "/items/{id}")
		sp.Attributes().PutInt("http.status_code", 200)
	}
	body, _ := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	return request{kind: kindSpans, path: "/v1/traces", contentType: "application/x-protobuf", body: body,
		rows: map[string]int{hex.EncodeToString(tid[:]): n}}
}

// logs is an OTLP/HTTP protobuf log export of n records of one trace.
func (p payloads) logs(seq, n int) request {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", p.service)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("reliability")
	tid := p.traceID(seq)
	now := time.Now()
	for i := 0; i < n; i++ {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(i) * time.Microsecond)))
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
		lr.Body().SetStr(fmt.Sprintf("handled request %d of batch %d", i, seq))
		lr.SetTraceID(tid)
		lr.Attributes().PutStr("component", "reliability")
	}
	body, _ := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	return request{kind: kindLogs, path: "/v1/logs", contentType: "application/x-protobuf", body: body,
		rows: map[string]int{hex.EncodeToString(tid[:]): n}}
}

// samples is a Prometheus remote_write 1.0 request (snappy-compressed
// prometheus.WriteRequest) of n samples over 10 series, labelled with the
// request's batch so that its samples can be counted.
func (p payloads) samples(seq, n int) request {
	batch := fmt.Sprintf("%s-%d", p.run, seq)
	const series = 10
	now := time.Now().UnixMilli()
	var wr []byte
	for s := 0; s < series; s++ {
		var ts []byte
		for _, l := range [][2]string{{"__name__", "reliability_load"}, {"job", p.service}, {"instance", "loopback"},
			{"batch", batch}, {"series", fmt.Sprint(s)}} {
			var lb []byte
			lb = protowire.AppendTag(lb, 1, protowire.BytesType)
			lb = protowire.AppendString(lb, l[0])
			lb = protowire.AppendTag(lb, 2, protowire.BytesType)
			lb = protowire.AppendString(lb, l[1])
			ts = protowire.AppendTag(ts, 1, protowire.BytesType)
			ts = protowire.AppendBytes(ts, lb)
		}
		for i := s; i < n; i += series {
			var sb []byte
			sb = protowire.AppendTag(sb, 1, protowire.Fixed64Type)
			sb = protowire.AppendFixed64(sb, math.Float64bits(float64(i)))
			sb = protowire.AppendTag(sb, 2, protowire.VarintType)
			sb = protowire.AppendVarint(sb, uint64(now-int64(n-i)))
			ts = protowire.AppendTag(ts, 2, protowire.BytesType)
			ts = protowire.AppendBytes(ts, sb)
		}
		wr = protowire.AppendTag(wr, 1, protowire.BytesType)
		wr = protowire.AppendBytes(wr, ts)
	}
	return request{kind: kindSamples, path: "/api/v1/write", contentType: "application/x-protobuf", encoding: "snappy",
		body: snappy.Encode(nil, wr), rows: map[string]int{batch: n}}
}
