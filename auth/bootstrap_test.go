package auth_test

import (
	"context"
	"testing"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/store/storetest"
)

// A generated admin token (no DEPLOYLENS_ADMIN_TOKEN) is stored only when
// the store has no bootstrap token yet: a second process on the same
// ClickHouse must not lock out the token the first one printed.
func TestGeneratedBootstrapTokenNeverReplacesAStoredOne(t *testing.T) {
	const (
		first   = "dladmin-first-generated-0123456789"
		second  = "dladmin-second-generated-0123456789"
		fromEnv = "configured-admin-token-0123456789"
	)
	for _, tc := range []struct {
		name string
		// before prepares the store: configured bootstrap tokens, then
		// generated ones, then whether the bootstrap token is revoked.
		configured []string
		generated  []string
		revoke     bool
		keep       string // the generated token to keep now
		kept       bool
		works      []string // tokens that authenticate afterwards
		refused    []string
	}{
		{name: "empty store takes the generated token", keep: first, kept: true, works: []string{first}},
		{name: "the same process restarting keeps its token", generated: []string{first}, keep: first, kept: true, works: []string{first}},
		{name: "a second process does not replace the first one's token", generated: []string{first}, keep: second, kept: false,
			works: []string{first}, refused: []string{second}},
		{name: "a configured token is not replaced by a generated one", configured: []string{fromEnv}, keep: first, kept: false,
			works: []string{fromEnv}, refused: []string{first}},
		{name: "a revoked bootstrap token gives way", generated: []string{first}, revoke: true, keep: second, kept: true,
			works: []string{second}, refused: []string{first}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := storetest.Open(t)
			ctx := context.Background()
			if _, err := (&migrations.Migrator{Conn: conn}).Up(ctx); err != nil {
				t.Fatal(err)
			}
			tokens := auth.NewTokens(conn, 0)
			for _, tok := range tc.configured {
				if err := tokens.EnsureBootstrap(ctx, tok); err != nil {
					t.Fatal(err)
				}
			}
			for _, tok := range tc.generated {
				if _, err := tokens.KeepBootstrap(ctx, tok); err != nil {
					t.Fatal(err)
				}
			}
			if tc.revoke {
				if err := tokens.Revoke(ctx, auth.BootstrapID); err != nil {
					t.Fatal(err)
				}
			}
			kept, err := tokens.KeepBootstrap(ctx, tc.keep)
			if err != nil || kept != tc.kept {
				t.Fatalf("KeepBootstrap = %v, %v; want %v", kept, err, tc.kept)
			}
			for _, tok := range tc.works {
				if _, err := tokens.Authenticate(ctx, tok); err != nil {
					t.Errorf("%s no longer authenticates: %v", tok, err)
				}
			}
			for _, tok := range tc.refused {
				if _, err := tokens.Authenticate(ctx, tok); err == nil {
					t.Errorf("%s authenticates", tok)
				}
			}
		})
	}
}
