package native

import (
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
