package promrw

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// MetricType is a series' type as remote_write metadata gives it; 1.0's
// prometheus.MetricMetadata.MetricType and 2.0's Metadata.MetricType number
// them alike.
type MetricType int32

// The metric types remote_write names.
const (
	TypeUnknown MetricType = iota
	TypeCounter
	TypeGauge
	TypeHistogram
	TypeGaugeHistogram
	TypeSummary
	TypeInfo
	TypeStateset
)

// Label is one label of a series.
type Label struct{ Name, Value string }

// Sample is one value of a series at a time in milliseconds.
type Sample struct {
	Value     float64
	Timestamp int64
}

// Series is one time series of a write request.
type Series struct {
	Labels  []Label
	Samples []Sample
	// Type, Help and Unit come with the series in 2.0 and from the request's
	// metadata in 1.0 (TypeUnknown when the request has none for it).
	Type       MetricType
	Help, Unit string
	// CreatedMs is 2.0's created timestamp, the start of a counter (0 unknown).
	CreatedMs int64
	// Histograms counts native histogram samples, which are not stored.
	Histograms int
	// Exemplars counts the series' exemplars, which are not stored.
	Exemplars int
}

// Metadata is one entry of 1.0's metadata list.
type Metadata struct {
	Type       MetricType
	Family     string
	Help, Unit string
}

// Request is a decoded write request of either version.
type Request struct {
	Series   []Series
	Metadata []Metadata
}

// field reads one field header and value; v is the varint or fixed value,
// b the bytes of a length-delimited field.
type field struct {
	num protowire.Number
	typ protowire.Type
	v   uint64
	b   []byte
}

func next(buf []byte) (field, []byte, error) {
	num, typ, n := protowire.ConsumeTag(buf)
	if n < 0 {
		return field{}, nil, fmt.Errorf("bad field tag: %w", protowire.ParseError(n))
	}
	buf = buf[n:]
	f := field{num: num, typ: typ}
	switch typ {
	case protowire.VarintType:
		f.v, n = protowire.ConsumeVarint(buf)
	case protowire.Fixed64Type:
		f.v, n = protowire.ConsumeFixed64(buf)
	case protowire.Fixed32Type:
		var v32 uint32
		v32, n = protowire.ConsumeFixed32(buf)
		f.v = uint64(v32)
	case protowire.BytesType:
		f.b, n = protowire.ConsumeBytes(buf)
	default:
		n = protowire.ConsumeFieldValue(num, typ, buf)
	}
	if n < 0 {
		return field{}, nil, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
	}
	return f, buf[n:], nil
}

func (f field) want(t protowire.Type, name string) error {
	if f.typ != t {
		return fmt.Errorf("%s has wire type %d, want %d", name, f.typ, t)
	}
	return nil
}

// DecodeV1 decodes a prometheus.WriteRequest (remote_write 1.0).
func DecodeV1(buf []byte) (*Request, error) {
	req := &Request{}
	for len(buf) > 0 {
		f, rest, err := next(buf)
		if err != nil {
			return nil, err
		}
		buf = rest
		switch f.num {
		case 1: // timeseries
			if err := f.want(protowire.BytesType, "timeseries"); err != nil {
				return nil, err
			}
			s, err := decodeSeriesV1(f.b)
			if err != nil {
				return nil, fmt.Errorf("timeseries[%d]: %w", len(req.Series), err)
			}
			req.Series = append(req.Series, s)
		case 3: // metadata
			if err := f.want(protowire.BytesType, "metadata"); err != nil {
				return nil, err
			}
			m, err := decodeMetadataV1(f.b)
			if err != nil {
				return nil, fmt.Errorf("metadata[%d]: %w", len(req.Metadata), err)
			}
			req.Metadata = append(req.Metadata, m)
		}
	}
	applyMetadata(req)
	return req, nil
}

func decodeSeriesV1(buf []byte) (Series, error) {
	var s Series
	for len(buf) > 0 {
		f, rest, err := next(buf)
		if err != nil {
			return s, err
		}
		buf = rest
		switch f.num {
		case 1:
			if err := f.want(protowire.BytesType, "labels"); err != nil {
				return s, err
			}
			l, err := decodeLabel(f.b)
			if err != nil {
				return s, fmt.Errorf("labels[%d]: %w", len(s.Labels), err)
			}
			s.Labels = append(s.Labels, l)
		case 2:
			if err := f.want(protowire.BytesType, "samples"); err != nil {
				return s, err
			}
			smp, err := decodeSample(f.b)
			if err != nil {
				return s, fmt.Errorf("samples[%d]: %w", len(s.Samples), err)
			}
			s.Samples = append(s.Samples, smp)
		case 3:
			s.Exemplars++
		case 4:
			s.Histograms++
		}
	}
	return s, nil
}

func decodeLabel(buf []byte) (Label, error) {
	var l Label
	for len(buf) > 0 {
		f, rest, err := next(buf)
		if err != nil {
			return l, err
		}
		buf = rest
		switch f.num {
		case 1:
			if err := f.want(protowire.BytesType, "name"); err != nil {
				return l, err
			}
			l.Name = string(f.b)
		case 2:
			if err := f.want(protowire.BytesType, "value"); err != nil {
				return l, err
			}
			l.Value = string(f.b)
		}
	}
	return l, nil
}

func decodeSample(buf []byte) (Sample, error) {
	var s Sample
	for len(buf) > 0 {
		f, rest, err := next(buf)
		if err != nil {
			return s, err
		}
		buf = rest
		switch f.num {
		case 1:
			if err := f.want(protowire.Fixed64Type, "value"); err != nil {
				return s, err
			}
			s.Value = math.Float64frombits(f.v)
		case 2:
			if err := f.want(protowire.VarintType, "timestamp"); err != nil {
				return s, err
			}
			s.Timestamp = int64(f.v)
		}
	}
	return s, nil
}

func decodeMetadataV1(buf []byte) (Metadata, error) {
	var m Metadata
	for len(buf) > 0 {
		f, rest, err := next(buf)
		if err != nil {
			return m, err
		}
		buf = rest
		switch f.num {
		case 1:
			if err := f.want(protowire.VarintType, "type"); err != nil {
				return m, err
			}
			m.Type = MetricType(int32(f.v))
		case 2, 4, 5:
			if err := f.want(protowire.BytesType, "metadata string"); err != nil {
				return m, err
			}
			switch f.num {
			case 2:
				m.Family = string(f.b)
			case 4:
				m.Help = string(f.b)
			case 5:
				m.Unit = string(f.b)
			}
		}
	}
	return m, nil
}

// applyMetadata gives 1.0 series the type, help and unit of their family
// (the family of a counter "x_total" may be "x" or "x_total").
func applyMetadata(req *Request) {
	if len(req.Metadata) == 0 {
		return
	}
	byFamily := make(map[string]*Metadata, len(req.Metadata))
	for i := range req.Metadata {
		byFamily[req.Metadata[i].Family] = &req.Metadata[i]
	}
	for i := range req.Series {
		s := &req.Series[i]
		name := metricName(s.Labels)
		m, ok := byFamily[name]
		if !ok && len(name) > len("_total") && name[len(name)-len("_total"):] == "_total" {
			m, ok = byFamily[name[:len(name)-len("_total")]]
		}
		if ok {
			s.Type, s.Help, s.Unit = m.Type, m.Help, m.Unit
		}
	}
}

func metricName(labels []Label) string {
	for _, l := range labels {
		if l.Name == "__name__" {
			return l.Value
		}
	}
	return ""
}

// DecodeV2 decodes an io.prometheus.write.v2.Request (remote_write 2.0):
// labels, help and unit are references into the request's symbol table.
func DecodeV2(buf []byte) (*Request, error) {
	var symbols []string
	var series [][]byte
	for len(buf) > 0 {
		f, rest, err := next(buf)
		if err != nil {
			return nil, err
		}
		buf = rest
		switch f.num {
		case 4:
			if err := f.want(protowire.BytesType, "symbols"); err != nil {
				return nil, err
			}
			symbols = append(symbols, string(f.b))
		case 5:
			if err := f.want(protowire.BytesType, "timeseries"); err != nil {
				return nil, err
			}
			series = append(series, f.b)
		}
	}
	req := &Request{Series: make([]Series, 0, len(series))}
	for i, b := range series {
		s, err := decodeSeriesV2(b, symbols)
		if err != nil {
			return nil, fmt.Errorf("timeseries[%d]: %w", i, err)
		}
		req.Series = append(req.Series, s)
	}
	return req, nil
}

func symbol(symbols []string, ref uint64, what string) (string, error) {
	if ref >= uint64(len(symbols)) {
		return "", fmt.Errorf("%s refers to symbol %d of %d", what, ref, len(symbols))
	}
	return symbols[ref], nil
}

func decodeSeriesV2(buf []byte, symbols []string) (Series, error) {
	var s Series
	var refs []uint64
	for len(buf) > 0 {
		f, rest, err := next(buf)
		if err != nil {
			return s, err
		}
		buf = rest
		switch f.num {
		case 1: // labels_refs, packed or not
			switch f.typ {
			case protowire.VarintType:
				refs = append(refs, f.v)
			case protowire.BytesType:
				for b := f.b; len(b) > 0; {
					v, n := protowire.ConsumeVarint(b)
					if n < 0 {
						return s, fmt.Errorf("labels_refs: %w", protowire.ParseError(n))
					}
					refs = append(refs, v)
					b = b[n:]
				}
			default:
				return s, fmt.Errorf("labels_refs has wire type %d", f.typ)
			}
		case 2:
			if err := f.want(protowire.BytesType, "samples"); err != nil {
				return s, err
			}
			smp, err := decodeSample(f.b)
			if err != nil {
				return s, fmt.Errorf("samples[%d]: %w", len(s.Samples), err)
			}
			s.Samples = append(s.Samples, smp)
		case 3:
			s.Histograms++
		case 4:
			s.Exemplars++
		case 5:
			if err := f.want(protowire.BytesType, "metadata"); err != nil {
				return s, err
			}
			if err := decodeMetadataV2(f.b, symbols, &s); err != nil {
				return s, fmt.Errorf("metadata: %w", err)
			}
		case 6:
			if err := f.want(protowire.VarintType, "created_timestamp"); err != nil {
				return s, err
			}
			s.CreatedMs = int64(f.v)
		}
	}
	if len(refs)%2 != 0 {
		return s, fmt.Errorf("labels_refs has %d entries, not name/value pairs", len(refs))
	}
	s.Labels = make([]Label, 0, len(refs)/2)
	for i := 0; i < len(refs); i += 2 {
		name, err := symbol(symbols, refs[i], "labels_refs")
		if err != nil {
			return s, err
		}
		value, err := symbol(symbols, refs[i+1], "labels_refs")
		if err != nil {
			return s, err
		}
		s.Labels = append(s.Labels, Label{name, value})
	}
	return s, nil
}

func decodeMetadataV2(buf []byte, symbols []string, s *Series) error {
	for len(buf) > 0 {
		f, rest, err := next(buf)
		if err != nil {
			return err
		}
		buf = rest
		switch f.num {
		case 1:
			if err := f.want(protowire.VarintType, "type"); err != nil {
				return err
			}
			s.Type = MetricType(int32(f.v))
		case 3, 4:
			if err := f.want(protowire.VarintType, "help_ref/unit_ref"); err != nil {
				return err
			}
			v, err := symbol(symbols, f.v, "help_ref/unit_ref")
			if err != nil {
				return err
			}
			if f.num == 3 {
				s.Help = v
			} else {
				s.Unit = v
			}
		}
	}
	return nil
}
