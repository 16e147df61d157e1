package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/store/storetest"
)

func TestPrincipalRolesAndScopes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		p         auth.Principal
		required  auth.Role
		can       bool
		team      string
		seesTeam  bool
		seesEvery bool
	}{
		{"admin holds every role and team", auth.Principal{Role: auth.RoleAdmin, Teams: []string{"a"}}, auth.RoleRead, true, "z", true, true},
		{"read token reads its team", auth.Principal{Role: auth.RoleRead, Teams: []string{"a", "b"}}, auth.RoleRead, true, "b", true, false},
		{"read token does not read another team", auth.Principal{Role: auth.RoleRead, Teams: []string{"a"}}, auth.RoleRead, true, "c", false, false},
		{"read token cannot ingest", auth.Principal{Role: auth.RoleRead, Teams: []string{"*"}}, auth.RoleIngest, false, "c", true, true},
		{"ingest token cannot read", auth.Principal{Role: auth.RoleIngest, Teams: []string{"*"}}, auth.RoleRead, false, "c", true, true},
		{"nobody is nothing", auth.Principal{}, auth.RoleRead, false, "a", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Can(tc.required); got != tc.can {
				t.Errorf("Can(%s) = %v", tc.required, got)
			}
			if got := tc.p.CanSeeTeam(tc.team); got != tc.seesTeam {
				t.Errorf("CanSeeTeam(%s) = %v", tc.team, got)
			}
			if got := tc.p.AllTeams(); got != tc.seesEvery {
				t.Errorf("AllTeams() = %v", got)
			}
		})
	}
}

func TestTokensAreStoredHashedAndChecked(t *testing.T) {
	conn := storetest.Open(t)
	ctx := context.Background()
	if _, err := (&migrations.Migrator{Conn: conn}).Up(ctx); err != nil {
		t.Fatal(err)
	}
	tokens := auth.NewTokens(conn, 0)
	plain, tok, err := tokens.Create(ctx, "ci", auth.RoleIngest, []string{"payments"})
	if err != nil {
		t.Fatal(err)
	}
	var stored string
	if err := conn.QueryRow(ctx, "SELECT secret_hash FROM api_tokens WHERE id = ?", tok.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if secret := plain[strings.LastIndex(plain, "_")+1:]; strings.Contains(stored, secret) || len(stored) != 64 {
		t.Fatalf("stored %q is not a SHA-256 hash of the secret", stored)
	}
	p, err := tokens.Authenticate(ctx, plain)
	if err != nil || p.Role != auth.RoleIngest || p.TokenID != tok.ID || !p.CanSeeTeam("payments") || p.CanSeeTeam("search") {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	for _, bad := range []string{"", plain + "x", plain[:len(plain)-1], "dlk_" + tok.ID + "_wrong", "dlk__", "bearer"} {
		if _, err := tokens.Authenticate(ctx, bad); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("Authenticate(%q) = %v, want ErrUnauthenticated", bad, err)
		}
	}
}

func TestBootstrapTokenFollowsConfiguration(t *testing.T) {
	conn := storetest.Open(t)
	ctx := context.Background()
	if _, err := (&migrations.Migrator{Conn: conn}).Up(ctx); err != nil {
		t.Fatal(err)
	}
	tokens := auth.NewTokens(conn, 0)
	if err := tokens.EnsureBootstrap(ctx, "short"); err == nil {
		t.Fatal("a short bootstrap token was accepted")
	}
	first := "first-admin-token-0123456789"
	if err := tokens.EnsureBootstrap(ctx, first); err != nil {
		t.Fatal(err)
	}
	if p, err := tokens.Authenticate(ctx, first); err != nil || p.Role != auth.RoleAdmin {
		t.Fatalf("bootstrap token: %+v %v", p, err)
	}
	second := "second-admin-token-0123456789"
	if err := tokens.EnsureBootstrap(ctx, second); err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Authenticate(ctx, first); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("the replaced bootstrap token still works: %v", err)
	}
	if _, err := tokens.Authenticate(ctx, second); err != nil {
		t.Fatal(err)
	}
	list, err := tokens.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != auth.BootstrapID {
		t.Fatalf("List = %+v, %v", list, err)
	}
}
