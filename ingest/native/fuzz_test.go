package native

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
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

// Whatever the strict one-pass reader accepts, encoding/json reads to the
// same event; what it refuses falls back to encoding/json, so the strict
// path may only ever be narrower, never different.
func FuzzStrictAgrees(f *testing.F) {
	for _, s := range []string{deployStarted, deployFinished, incidentOpened, incidentClosed,
		`{"id":"a","type":"change","change_id":"c","commits":["x"],"labels":[],"attributes":{"k":"v"}}`,
		`{"id":"a","ID":"b"}`, `{"id":"a","id":"b"}`, `{"team":null,"commits":null,"attributes":{}}`,
		`{"id":"\u00e9\ud800"}`, "{\"id\":\"\xff\"}", `{"unplanned":true} `, `{"unplanned":"x"}`, `{}{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		var fast wireEvent
		if jsonv2.Unmarshal(msg, &fast, strict) != nil {
			return
		}
		var slow wireEvent
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&slow); err != nil || dec.More() {
			t.Fatalf("strict reader accepted what encoding/json refuses (%v): %q", err, msg)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q read differently:\nstrict %+v\nv1     %+v", msg, fast, slow)
		}
	})
}

// The one-pass NDJSON path finds the same events as split, or leaves the
// body to it.
func FuzzStrictLines(f *testing.F) {
	for _, s := range []string{deployStarted + "\n" + incidentClosed, deployStarted + "\r\n\r\n" + incidentClosed + "\n",
		"{\"id\":\"a\"} {\"id\":\"b\"}\n{}", "{\n\"id\": \"a\"\n}\n{}", "{}\n[1]", "{\"id\":\"\\n\"}\n", "{}\n{", "\n\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, _ := strictLines(body)
		if fast == nil {
			return
		}
		slow, err := split(body)
		if err != nil {
			t.Fatalf("one-pass path accepted what split refuses (%v): %q", err, body)
		}
		if len(fast) != len(slow) {
			t.Fatalf("%d events by the one-pass path, %d by split: %q", len(fast), len(slow), body)
		}
		for i := range fast {
			if !bytes.Equal(fast[i], slow[i]) {
				t.Fatalf("event %d: %q one-pass, %q by split", i, fast[i], slow[i])
			}
		}
	})
}
