package native

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/ingest/commit"
	"github.com/deploylens/deploylens/ingest/ingesttest"
)

// BenchmarkStoredBytes is what one delivery event costs on disk: b.N
// events of a kind, with values varied as a real organisation's are (ids,
// commit hashes, titles, authors, times), posted 100 a request through the
// receiver into the embedded engine, then every table merged. disk_bytes/event
// counts every table the event reaches — its entity table, raw_events (the
// body and headers as received, for audit and replay) and the lookup tables
// filled by materialized views. "mix" is one delivery's events: 3 changes,
// 6 pipeline stages, 1 deployment and an incident every 20 deployments.
//
//	go test -run '^$' -bench StoredBytes -benchtime 20000x ./ingest/native/
func BenchmarkStoredBytes(b *testing.B) {
	for _, kind := range []string{"change", "pipeline_stage", "deployment", "incident", "mix"} {
		b.Run(kind, func(b *testing.B) {
			env := ingesttest.NewWith(b, commit.Options{})
			gin.SetMode(gin.ReleaseMode)
			e := gin.New()
			(&Receiver{Writer: env.Writer}).Register(e)
			hs := httptest.NewServer(e)
			defer hs.Close()
			gen := newDeliveryGenerator(1)
			const perRequest = 100
			var body strings.Builder
			sent := 0
			goCPU0, engineCPU0 := ingesttest.CPUUsed()
			for sent < b.N {
				body.Reset()
				for i := 0; i < perRequest && sent < b.N; i++ {
					body.WriteString(gen.event(kind))
					body.WriteByte('\n')
					sent++
				}
				req, _ := http.NewRequest(http.MethodPost, hs.URL+"/events", strings.NewReader(body.String()))
				req.Header.Set("Content-Type", "application/x-ndjson")
				req.Header.Set("User-Agent", "deploylens-cli/0.9.0 (linux; amd64)")
				req.Header.Set("Authorization", "Bearer dlingest-redacted-anyway")
				req.Header.Set("X-Request-Id", fmt.Sprintf("%016x", gen.rnd.Uint64()))
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				msg, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d: %s", res.StatusCode, msg)
				}
			}
			goCPU, engineCPU := ingesttest.CPUUsed()
			b.StopTimer()
			b.ReportMetric(float64((goCPU-goCPU0).Microseconds())/float64(sent), "go_cpu_µs/event")
			b.ReportMetric(float64((engineCPU-engineCPU0).Microseconds())/float64(sent), "engine_cpu_µs/event")
			if got := env.Count(b, "SELECT count() FROM raw_events"); got != uint64(sent) {
				b.Fatalf("%d raw events stored, sent %d", got, sent)
			}
			ingesttest.ReportStoredBytes(b, env.Conn, sent, "event")
		})
	}
}

// deliveryGenerator makes native events whose values vary the way a
// mid-sized organisation's do: 40 services in 8 teams' repositories,
// hundreds of authors, random commit hashes, times minutes apart.
type deliveryGenerator struct {
	rnd                *rand.Rand
	n                  int
	now                time.Time
	lastDeploy         string
	mixStep            int
	changes            []string
	services, authors  []string
	titleVerb, subject []string
}

func newDeliveryGenerator(seed uint64) *deliveryGenerator {
	g := &deliveryGenerator{rnd: rand.New(rand.NewPCG(seed, 2)), now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	for _, s := range []string{"checkout", "cart", "payments", "search", "catalog", "pricing", "shipping", "accounts"} {
		for _, suffix := range []string{"api", "worker", "web", "gateway", "scheduler"} {
			g.services = append(g.services, s+"-"+suffix)
		}
	}
	first := []string{"ana", "ben", "chen", "dara", "eli", "fatima", "gus", "hana", "ivan", "jo", "kai", "lena", "mo", "nia", "omar", "pia", "quinn", "rae", "sam", "tara"}
	last := []string{"smith", "garcia", "kim", "okafor", "novak", "rossi", "silva", "tanaka", "weber", "yilmaz", "berg", "costa"}
	for _, f := range first {
		for _, l := range last {
			g.authors = append(g.authors, f+"."+l)
		}
	}
	g.titleVerb = []string{"Fix", "Add", "Remove", "Refactor", "Bump", "Speed up", "Retry", "Log", "Validate", "Cache", "Document", "Handle"}
	g.subject = []string{"timeout in payment client", "flaky integration test", "order total rounding", "feature flag for new search ranking",
		"dependency golang.org/x/net to v0.62.0", "N+1 query in cart view", "idempotency key on refunds", "metrics for queue depth",
		"nil pointer on empty basket", "pagination of order history", "retry budget for inventory calls", "stale price cache",
		"CSP header for checkout page", "migration for shipping zones", "rate limit on login", "alert on consumer lag"}
	return g
}

func (g *deliveryGenerator) hash() string {
	return fmt.Sprintf("%016x%016x%08x", g.rnd.Uint64(), g.rnd.Uint64(), g.rnd.Uint32())
}

func (g *deliveryGenerator) pick(list []string) string { return list[g.rnd.IntN(len(list))] }

func (g *deliveryGenerator) at(d time.Duration) string { return g.now.Add(d).Format(time.RFC3339) }

func (g *deliveryGenerator) repoOf(service string) string {
	team, _, _ := strings.Cut(service, "-")
	return "acme/" + team
}

// event returns one event of kind as an NDJSON line; "mix" cycles through
// one delivery's worth of kinds.
func (g *deliveryGenerator) event(kind string) string {
	g.n++
	g.now = g.now.Add(time.Duration(30+g.rnd.IntN(120)) * time.Second)
	if kind == "mix" {
		cycle := []string{"change", "change", "change", "pipeline_stage", "pipeline_stage", "pipeline_stage",
			"pipeline_stage", "pipeline_stage", "pipeline_stage", "deployment"}
		kind = cycle[g.mixStep%len(cycle)]
		g.mixStep++
		if g.mixStep%(20*len(cycle)) == 0 {
			kind = "incident"
		}
	}
	service := g.pick(g.services)
	id := fmt.Sprintf("%s-%08x-%d", kind, g.rnd.Uint32(), g.n)
	switch kind {
	case "change":
		change := fmt.Sprintf("%s#%d", g.repoOf(service), 10000+g.n)
		g.changes = append(g.changes[max(0, len(g.changes)-50):], change)
		commits := make([]string, 1+g.rnd.IntN(5))
		for i := range commits {
			commits[i] = `"` + g.hash() + `"`
		}
		labels := []string{}
		for _, l := range []string{`"bug"`, `"dependencies"`, `"feature"`, `"needs-review"`} {
			if g.rnd.IntN(5) == 0 {
				labels = append(labels, l)
			}
		}
		return fmt.Sprintf(`{"id":%q,"type":"change","service":%q,"change_id":%q,"repo":%q,"title":"%s %s","author":%q,`+
			`"first_commit_at":%q,"opened_at":%q,"first_review_at":%q,"approved_at":%q,"merged_at":%q,"merge_commit":%q,"commits":[%s],"labels":[%s]}`,
			id, service, change, g.repoOf(service), g.pick(g.titleVerb), g.pick(g.subject), g.pick(g.authors),
			g.at(-50*time.Hour), g.at(-30*time.Hour), g.at(-26*time.Hour), g.at(-20*time.Hour), g.at(0), g.hash(),
			strings.Join(commits, ","), strings.Join(labels, ","))
	case "pipeline_stage":
		stages := []struct{ name, kind string }{{"build", "build"}, {"unit tests", "test"}, {"integration tests", "test"},
			{"deploy staging", "deploy"}, {"approval", "approval"}, {"deploy production", "deploy"}}
		st := stages[g.rnd.IntN(len(stages))]
		result := "success"
		if g.rnd.IntN(20) == 0 {
			result = "failure"
		}
		return fmt.Sprintf(`{"id":%q,"type":"pipeline_stage","service":%q,"pipeline":"%s-ci","run_id":"%d","stage":%q,"kind":%q,`+
			`"queued_at":%q,"started_at":%q,"finished_at":%q,"result":%q,"commit":%q,"change_ids":[%q]}`,
			id, service, service, 5000000+g.n/6, st.name, st.kind, g.at(-time.Duration(2+g.rnd.IntN(600))*time.Second),
			g.at(0), g.at(time.Duration(20+g.rnd.IntN(900))*time.Second), result, g.hash(), g.change())
	case "deployment":
		status := "success"
		if g.rnd.IntN(12) == 0 {
			status = "failure"
		}
		g.lastDeploy = id
		return fmt.Sprintf(`{"id":%q,"type":"deployment","service":%q,"deployment_id":"deploy-%d-%04x","version":"%d.%d.%d","commit":%q,`+
			`"started_at":%q,"finished_at":%q,"status":%q,"change_ids":[%q,%q],"commits":[%q]}`,
			id, service, g.n, g.rnd.IntN(1<<16), 1+g.rnd.IntN(4), g.rnd.IntN(60), g.rnd.IntN(20), g.hash(),
			g.at(-time.Duration(60+g.rnd.IntN(600))*time.Second), g.at(0), status, g.change(), g.change(), g.hash())
	case "incident":
		return fmt.Sprintf(`{"id":%q,"type":"incident","service":%q,"incident_id":"INC-%d","severity":"SEV%d","title":"Elevated 5xx on %s",`+
			`"opened_at":%q,"resolved_at":%q}`,
			id, service, 1000+g.n, 1+g.rnd.IntN(4), service, g.at(0), g.at(time.Duration(10+g.rnd.IntN(240))*time.Minute))
	}
	panic("unknown event kind " + kind)
}

// change is a recent change id, so stages and deployments name real ones.
func (g *deliveryGenerator) change() string {
	if len(g.changes) == 0 {
		return fmt.Sprintf("acme/checkout#%d", g.n)
	}
	return g.changes[g.rnd.IntN(len(g.changes))]
}
