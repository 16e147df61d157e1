// Package delivery selects the delivery entities that one answer of the
// query API covers — a team (or the caller's teams), a service, an
// environment, a window — and links changes to the deployments that shipped
// them, as SQL that the metric packages (dora, waits) build their queries on.
//
// The SQL lives in sql/*.sql as text/template definitions; templates only
// ever assemble constant SQL, and every request value reaches ClickHouse as
// a bound query parameter ({name:Type}).
package delivery

import (
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/deploylens/deploylens/store"
)

// DefaultEnvironment is the environment of an event that names none, and of
// a question that names none.
const DefaultEnvironment = "production"

// Scope is what one answer covers.
type Scope struct {
	// Team asked for; empty means every team in Teams.
	Team string
	// Teams the caller may see; nil or empty means every team.
	Teams []string
	// Service asked for; empty means all of the scope's services.
	Service string
	// Environment; empty means production.
	Environment string
	// From and To bound the window [From, To).
	From, To time.Time
}

// Env returns the scope's environment.
func (s Scope) Env() string {
	if s.Environment == "" {
		return DefaultEnvironment
	}
	return s.Environment
}

// Parameters returns the scope as bound query parameters.
func (s Scope) Parameters() clickhouse.Parameters {
	return clickhouse.Parameters{
		"team":        store.StringParam(s.Team),
		"teams":       StringArray(s.Teams),
		"service":     store.StringParam(s.Service),
		"environment": store.StringParam(s.Env()),
		"from":        Time(s.From),
		"to":          Time(s.To),
	}
}

// Time renders t as a DateTime64(9, 'UTC') parameter value.
func Time(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.000000000")
}

// StringArray renders an Array(String) parameter value. ClickHouse parses
// it as a literal of that type, so quotes and backslashes are escaped.
func StringArray(values []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\'')
		b.WriteString(strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v))
		b.WriteByte('\'')
	}
	b.WriteByte(']')
	return b.String()
}

// With adds parameters to ctx-ready parameter sets: a copy of p with kv
// (name, value pairs) set.
func With(p clickhouse.Parameters, kv ...string) clickhouse.Parameters {
	out := make(clickhouse.Parameters, len(p)+len(kv)/2)
	for k, v := range p {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}
