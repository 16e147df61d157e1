package pagerduty

import (
	"os"
	"testing"

	"github.com/deploylens/deploylens/ingest"
)

func FuzzTranslate(f *testing.F) {
	for _, file := range []string{"testdata/incident.triggered.json", "testdata/incident.resolved.json"} {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, _, err := Translate(&ingest.Raw{Body: body})
		if err != nil {
			return
		}
		for _, ev := range evs {
			if errs := ev.Validate(); len(errs) > 0 {
				t.Fatalf("invalid event %+v: %v", ev, errs)
			}
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add("v1=00", []byte("{}"))
	f.Add(sign("k", []byte("{}")), []byte("{}"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		_ = Verify([]byte("k"), header, body)
	})
}
