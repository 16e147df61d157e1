package github

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deploylens/deploylens/ingest"
)

// Translate never panics on any payload of any event type, and every event
// it returns is valid.
func FuzzTranslate(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		event, _, _ := strings.Cut(filepath.Base(file), ".")
		f.Add(event, b)
	}
	f.Fuzz(func(t *testing.T, event string, body []byte) {
		evs, _, err := Translate(&ingest.Raw{EventType: event, DeliveryID: "d", Body: body})
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

// Verify never panics and accepts only the right signature.
func FuzzVerify(f *testing.F) {
	f.Add("sha256=00", []byte("{}"))
	f.Add(sign("k", []byte("{}")), []byte("{}"))
	f.Fuzz(func(t *testing.T, sig string, body []byte) {
		if Verify([]byte("k"), sig, body) == nil && sig != sign("k", body) {
			t.Fatalf("accepted signature %q", sig)
		}
	})
}
