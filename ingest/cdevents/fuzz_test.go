package cdevents

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Decode never panics in any mode, and every event it returns is valid.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		for _, ct := range []string{"application/json", "application/cloudevents+json", "application/cloudevents-batch+json"} {
			f.Add(ct, "", b)
		}
		f.Add("application/json", "dev.cdevents.service.deployed.0.2.0", b)
	}
	f.Fuzz(func(t *testing.T, contentType, ceType string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/cdevents", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", contentType)
		if ceType != "" {
			r.Header.Set("ce-specversion", "1.0")
			r.Header.Set("ce-id", "1")
			r.Header.Set("ce-source", "/s")
			r.Header.Set("ce-type", ceType)
		}
		items, err := Decode(r, body, nil)
		if err != nil {
			return
		}
		for _, it := range items {
			for _, ev := range it.Events {
				if errs := ev.Validate(); len(errs) > 0 {
					t.Fatalf("invalid event %+v: %v", ev, errs)
				}
			}
		}
	})
}
