package native

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

// Decode never panics, and whatever it accepts is a valid event whose raw
// copy translates back to the same event.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{deployStarted, deployFinished, incidentOpened, incidentClosed,
		"[" + deployStarted + "," + incidentOpened + "]", deployStarted + "\n" + incidentClosed,
		`{"id":"a","type":"change","change_id":"c","commits":["x"],"labels":[],"attributes":{"k":"v"}}`,
		`{"id":"a","type":"pipeline_stage","pipeline":"p","run_id":"1","stage":"s","kind":"test","result":"success"}`,
		`[]`, `{`, `null`, `[1]`, `{"id":"a","type":"deployment","unplanned":"x"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := Decode(body, nil, now)
		if err != nil {
			return
		}
		for _, it := range items {
			for _, ev := range it.Events {
				if errs := ev.Validate(); len(errs) > 0 {
					t.Fatalf("accepted an invalid event %+v: %v", ev, errs)
				}
			}
			if _, _, err := Translate(&it.Raw); err != nil {
				t.Fatalf("the raw copy of an accepted event does not translate: %v", err)
			}
		}
	})
}

// NDJSON's line-splitting fast path finds exactly the objects the decoder
// would, byte for byte, or leaves the body to the decoder.
func FuzzSplitLines(f *testing.F) {
	for _, s := range []string{deployStarted + "\n" + incidentClosed, deployStarted + "\r\n\r\n" + incidentClosed + "\n",
		"{\"a\":1} {\"b\":2}\n{}", "{\n\"a\": 1\n}\n{}", "{}\n[1]", "{\"a\":\"\\n\"}\n", "{}\n{"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast := splitLines(body)
		if fast == nil {
			return
		}
		var slow []json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(body))
		for len(slow) <= MaxEvents {
			var m json.RawMessage
			if err := dec.Decode(&m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("fast path accepted what the decoder refuses (%v): %q", err, body)
			}
			slow = append(slow, m)
		}
		if len(fast) != len(slow) {
			t.Fatalf("%d objects by lines, %d by the decoder: %q", len(fast), len(slow), body)
		}
		for i := range fast {
			if !bytes.Equal(fast[i], slow[i]) {
				t.Fatalf("object %d: %q by lines, %q by the decoder", i, fast[i], slow[i])
			}
		}
	})
}
