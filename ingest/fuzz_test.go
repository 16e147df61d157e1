package ingest

import "testing"

// ParseCatalog never panics, and every entry it accepts names a team.
func FuzzParseCatalog(f *testing.F) {
	f.Add([]byte("services:\n  checkout: payments\n  search:\n    team: discovery\n    attributes: {tier: \"1\"}\n"))
	f.Add([]byte("services: []"))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := ParseCatalog(b)
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.Team == "" || e.Service == "" {
				t.Fatalf("entry without a team or service: %+v", e)
			}
		}
	})
}
