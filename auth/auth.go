// Package auth issues and checks deploylens API tokens: bearer tokens with a
// role (admin, ingest, read) and a team scope, stored as SHA-256 hashes.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/store"
)

// Role is what a token may do.
type Role string

const (
	RoleAdmin  Role = "admin"  // everything, every team
	RoleIngest Role = "ingest" // send events and telemetry
	RoleRead   Role = "read"   // read metrics of its teams
)

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAdmin, RoleIngest, RoleRead:
		return r, nil
	}
	return "", fmt.Errorf("role %q is not one of admin, ingest, read", s)
}

// AllTeams is the team scope that covers every team.
const AllTeams = "*"

// Principal is who a request acts as.
type Principal struct {
	TokenID string
	Name    string
	Role    Role
	Teams   []string // ["*"] for every team
}

// Can reports whether the principal holds the required role. Admin holds all.
func (p Principal) Can(required Role) bool {
	return p.Role == RoleAdmin || p.Role == required
}

// AllTeams reports whether the principal's scope covers every team.
func (p Principal) AllTeams() bool {
	return p.Role == RoleAdmin || slices.Contains(p.Teams, AllTeams)
}

// CanSeeTeam reports whether the principal may see one team's data.
func (p Principal) CanSeeTeam(team string) bool {
	return p.AllTeams() || slices.Contains(p.Teams, team)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying who a request acts as, so that code
// below the HTTP layer (ingest's writer) can enforce the token's scope.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal WithPrincipal put in ctx; false for
// requests that carry no token (webhooks, replay).
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Token is a stored token, without its secret.
type Token struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Teams     []string  `json:"teams"`
	CreatedAt time.Time `json:"created_at"`
	Revoked   bool      `json:"revoked"`
	hash      string
}

var (
	// ErrUnauthenticated means no valid token was presented.
	ErrUnauthenticated = errors.New("missing or invalid bearer token")
	// ErrNotFound means no token has that id.
	ErrNotFound = errors.New("no such token")
)

// BootstrapID is the id of the admin token given by DEPLOYLENS_ADMIN_TOKEN.
const BootstrapID = "bootstrap"

const tokenPrefix = "dlk_"

// Tokens stores tokens in ClickHouse and checks presented ones, caching
// lookups briefly so that authentication does not cost a query per request.
type Tokens struct {
	conn driver.Conn
	ttl  time.Duration
	now  func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	tok     Token
	found   bool
	fetched time.Time
}

// NewTokens returns a token store. cacheTTL bounds how long a revocation
// made by another process takes to be seen.
func NewTokens(conn driver.Conn, cacheTTL time.Duration) *Tokens {
	return &Tokens{conn: conn, ttl: cacheTTL, now: time.Now, cache: map[string]cached{}}
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// split returns the id and secret of a presented token. Tokens made by
// Create look like dlk_<id>_<secret>; anything else is the bootstrap token.
func split(presented string) (id, secret string) {
	if rest, ok := strings.CutPrefix(presented, tokenPrefix); ok {
		if id, secret, ok := strings.Cut(rest, "_"); ok && id != "" && secret != "" {
			return id, secret
		}
	}
	return BootstrapID, presented
}

// Create makes a token and returns its plaintext, shown once.
func (t *Tokens) Create(ctx context.Context, name string, role Role, teams []string) (string, Token, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return "", Token{}, err
	}
	if len(teams) == 0 {
		teams = []string{AllTeams}
	}
	var idb [6]byte
	var sb [32]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", Token{}, err
	}
	if _, err := rand.Read(sb[:]); err != nil {
		return "", Token{}, err
	}
	id := hex.EncodeToString(idb[:])
	secret := base64.RawURLEncoding.EncodeToString(sb[:])
	tok := Token{ID: id, Name: name, Role: role, Teams: teams, CreatedAt: t.now().UTC()}
	if err := t.write(ctx, tok, hashSecret(secret)); err != nil {
		return "", Token{}, err
	}
	return tokenPrefix + id + "_" + secret, tok, nil
}

// EnsureBootstrap stores the admin token given in configuration, replacing
// an earlier bootstrap token.
func (t *Tokens) EnsureBootstrap(ctx context.Context, plaintext string) error {
	if len(plaintext) < 16 {
		return errors.New("DEPLOYLENS_ADMIN_TOKEN is shorter than 16 characters: use a long random value")
	}
	id, secret := split(plaintext)
	if id != BootstrapID {
		// A dlk_ token from `token create` is already stored under its id.
		return nil
	}
	cur, err := t.lookup(ctx, BootstrapID)
	if err == nil && !cur.Revoked && subtle.ConstantTimeCompare([]byte(cur.hash), []byte(hashSecret(secret))) == 1 {
		return nil
	}
	tok := Token{ID: BootstrapID, Name: "bootstrap admin (DEPLOYLENS_ADMIN_TOKEN)", Role: RoleAdmin, Teams: []string{AllTeams}, CreatedAt: t.now().UTC()}
	if err := t.write(ctx, tok, hashSecret(secret)); err != nil {
		return err
	}
	t.forget(BootstrapID)
	return nil
}

// KeepBootstrap stores a generated admin token unless the store already
// holds a bootstrap token, and reports whether plaintext is the stored one.
// Processes that share one ClickHouse each generate a token of their own;
// replacing the stored one would lock out every process started before.
func (t *Tokens) KeepBootstrap(ctx context.Context, plaintext string) (bool, error) {
	cur, err := t.lookup(ctx, BootstrapID)
	switch {
	case err == nil && !cur.Revoked:
		_, secret := split(plaintext)
		return subtle.ConstantTimeCompare([]byte(cur.hash), []byte(hashSecret(secret))) == 1, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return false, err
	}
	return true, t.EnsureBootstrap(ctx, plaintext)
}

func (t *Tokens) write(ctx context.Context, tok Token, hash string) error {
	err := store.InsertRow(ctx, t.conn, `INSERT INTO api_tokens (id, name, role, teams, secret_hash, created_at, updated_at, revoked)`,
		tok.ID, tok.Name, string(tok.Role), tok.Teams, hash, tok.CreatedAt, t.now().UTC(), tok.Revoked)
	if err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	return nil
}

const selectTokens = `SELECT id, argMax(name, updated_at), argMax(role, updated_at), argMax(teams, updated_at),
       argMax(secret_hash, updated_at), min(created_at), argMax(revoked, updated_at)
FROM api_tokens`

func scanToken(sc interface{ Scan(...any) error }) (Token, error) {
	var tok Token
	var role string
	err := sc.Scan(&tok.ID, &tok.Name, &role, &tok.Teams, &tok.hash, &tok.CreatedAt, &tok.Revoked)
	tok.Role = Role(role)
	return tok, err
}

func (t *Tokens) lookup(ctx context.Context, id string) (Token, error) {
	rows, err := t.conn.Query(ctx, selectTokens+" WHERE id = ? GROUP BY id", id)
	if err != nil {
		return Token{}, fmt.Errorf("read token: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Token{}, err
		}
		return Token{}, ErrNotFound
	}
	return scanToken(rows)
}

// List returns every token, newest first.
func (t *Tokens) List(ctx context.Context) ([]Token, error) {
	rows, err := t.conn.Query(ctx, selectTokens+" GROUP BY id ORDER BY min(created_at) DESC")
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		tok, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, tok)
	}
	return out, rows.Err()
}

// Revoke disables a token.
func (t *Tokens) Revoke(ctx context.Context, id string) error {
	tok, err := t.lookup(ctx, id)
	if err != nil {
		return err
	}
	tok.Revoked = true
	if err := t.write(ctx, tok, tok.hash); err != nil {
		return err
	}
	t.forget(id)
	return nil
}

func (t *Tokens) forget(id string) {
	t.mu.Lock()
	delete(t.cache, id)
	t.mu.Unlock()
}

// Authenticate checks a presented bearer token.
func (t *Tokens) Authenticate(ctx context.Context, presented string) (Principal, error) {
	if presented == "" {
		return Principal{}, ErrUnauthenticated
	}
	id, secret := split(presented)
	t.mu.Lock()
	c, ok := t.cache[id]
	t.mu.Unlock()
	if !ok || t.now().Sub(c.fetched) > t.ttl {
		tok, err := t.lookup(ctx, id)
		switch {
		case err == nil:
			c = cached{tok: tok, found: true, fetched: t.now()}
		case errors.Is(err, ErrNotFound):
			c = cached{fetched: t.now()}
		default:
			return Principal{}, err
		}
		t.mu.Lock()
		if len(t.cache) > 10000 { // bound memory under a flood of made-up ids
			clear(t.cache)
		}
		t.cache[id] = c
		t.mu.Unlock()
	}
	if !c.found || c.tok.Revoked || subtle.ConstantTimeCompare([]byte(c.tok.hash), []byte(hashSecret(secret))) != 1 {
		return Principal{}, ErrUnauthenticated
	}
	return Principal{TokenID: c.tok.ID, Name: c.tok.Name, Role: c.tok.Role, Teams: c.tok.Teams}, nil
}
