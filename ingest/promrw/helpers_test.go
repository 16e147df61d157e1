package promrw_test

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"testing"

	"github.com/klauspost/compress/snappy"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/deploylens/deploylens/ingest/otlpreceiver/receivertest"
	"github.com/deploylens/deploylens/ingest/promrw"
)

// writeRequestV1 encodes a prometheus.WriteRequest as Prometheus does.
func writeRequestV1(series []promrw.Series, meta []promrw.Metadata) []byte {
	var b []byte
	for _, s := range series {
		var ts []byte
		for _, l := range s.Labels {
			var lb []byte
			lb = protowire.AppendTag(lb, 1, protowire.BytesType)
			lb = protowire.AppendString(lb, l.Name)
			lb = protowire.AppendTag(lb, 2, protowire.BytesType)
			lb = protowire.AppendString(lb, l.Value)
			ts = protowire.AppendTag(ts, 1, protowire.BytesType)
			ts = protowire.AppendBytes(ts, lb)
		}
		for _, smp := range s.Samples {
			ts = protowire.AppendTag(ts, 2, protowire.BytesType)
			ts = protowire.AppendBytes(ts, sample(smp))
		}
		for range s.Histograms {
			ts = protowire.AppendTag(ts, 4, protowire.BytesType)
			ts = protowire.AppendBytes(ts, nil)
		}
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, ts)
	}
	for _, m := range meta {
		var mb []byte
		mb = protowire.AppendTag(mb, 1, protowire.VarintType)
		mb = protowire.AppendVarint(mb, uint64(m.Type))
		mb = protowire.AppendTag(mb, 2, protowire.BytesType)
		mb = protowire.AppendString(mb, m.Family)
		mb = protowire.AppendTag(mb, 4, protowire.BytesType)
		mb = protowire.AppendString(mb, m.Help)
		mb = protowire.AppendTag(mb, 5, protowire.BytesType)
		mb = protowire.AppendString(mb, m.Unit)
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendBytes(b, mb)
	}
	return b
}

func sample(s promrw.Sample) []byte {
	var sb []byte
	sb = protowire.AppendTag(sb, 1, protowire.Fixed64Type)
	sb = protowire.AppendFixed64(sb, math.Float64bits(s.Value))
	sb = protowire.AppendTag(sb, 2, protowire.VarintType)
	sb = protowire.AppendVarint(sb, uint64(s.Timestamp))
	return sb
}

// writeRequestV2 encodes an io.prometheus.write.v2.Request.
func writeRequestV2(series []promrw.Series) []byte {
	symbols := []string{""}
	index := map[string]uint64{"": 0}
	ref := func(s string) uint64 {
		if i, ok := index[s]; ok {
			return i
		}
		index[s] = uint64(len(symbols))
		symbols = append(symbols, s)
		return index[s]
	}
	var body []byte
	for _, s := range series {
		var ts, refs []byte
		for _, l := range s.Labels {
			refs = protowire.AppendVarint(refs, ref(l.Name))
			refs = protowire.AppendVarint(refs, ref(l.Value))
		}
		ts = protowire.AppendTag(ts, 1, protowire.BytesType)
		ts = protowire.AppendBytes(ts, refs)
		for _, smp := range s.Samples {
			ts = protowire.AppendTag(ts, 2, protowire.BytesType)
			ts = protowire.AppendBytes(ts, sample(smp))
		}
		var md []byte
		md = protowire.AppendTag(md, 1, protowire.VarintType)
		md = protowire.AppendVarint(md, uint64(s.Type))
		md = protowire.AppendTag(md, 3, protowire.VarintType)
		md = protowire.AppendVarint(md, ref(s.Help))
		md = protowire.AppendTag(md, 4, protowire.VarintType)
		md = protowire.AppendVarint(md, ref(s.Unit))
		ts = protowire.AppendTag(ts, 5, protowire.BytesType)
		ts = protowire.AppendBytes(ts, md)
		if s.CreatedMs != 0 {
			ts = protowire.AppendTag(ts, 6, protowire.VarintType)
			ts = protowire.AppendVarint(ts, uint64(s.CreatedMs))
		}
		body = protowire.AppendTag(body, 5, protowire.BytesType)
		body = protowire.AppendBytes(body, ts)
	}
	var b []byte
	for _, s := range symbols {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	return append(b, body...)
}

func send(t *testing.T, env *receivertest.Env, contentType, encoding string, body []byte) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/api/v1/write", bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	req.Header.Set("Authorization", "Bearer "+env.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

func snappyBody(b []byte) []byte { return snappy.Encode(nil, b) }

func count(t *testing.T, env *receivertest.Env, query string, args ...any) uint64 {
	t.Helper()
	var n uint64
	if err := env.Conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
