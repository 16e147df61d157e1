package opsgenie

import (
	"os"
	"testing"

	"github.com/deploylens/deploylens/ingest"
)

func FuzzTranslate(f *testing.F) {
	for _, file := range []string{"testdata/create.json", "testdata/close.json"} {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, _, err := Translate(&ingest.Raw{DeliveryID: "d", Body: body})
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
