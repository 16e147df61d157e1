package gitlab

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/deploylens/deploylens/ingest"
)

func FuzzTranslate(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Add([]byte(`{"object_kind":"pipeline","object_attributes":{"id":1,"created_at":"2016-08-12 15:23:28 UTC"},"project":{"path_with_namespace":"a/b"}}`))
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
