package ingest

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/deploylens/deploylens/delivery"
)

// Outcome says what became of a raw delivery (raw_events.outcome).
type Outcome string

const (
	// OutcomeStored: translated into entity rows.
	OutcomeStored Outcome = "stored"
	// OutcomeStoredRaw: a kind of event deploylens does not translate yet,
	// kept raw so that a later translator can replay it.
	OutcomeStoredRaw Outcome = "stored_raw"
	// OutcomeIgnored: a delivery that says nothing about delivery entities
	// (a ping, an event type this receiver does not use).
	OutcomeIgnored Outcome = "ignored"
)

// Raw is one delivery as received: what replay translates again.
type Raw struct {
	ReceivedAt time.Time
	Source     string
	EventType  string
	// DeliveryID is the idempotency key of the delivery within its source:
	// a re-delivery with the same id is stored once.
	DeliveryID string
	Team       string
	Headers    map[string]string // secrets redacted
	Body       []byte
	Outcome    Outcome
}

// Item is one delivery and the events translated from it.
type Item struct {
	Raw    Raw
	Events []delivery.Event
}

// Translate turns one raw delivery into events. It must be deterministic:
// the same delivery always gives the same events with the same ids, which is
// what makes re-deliveries and replays collapse into one row per event.
type Translate func(raw *Raw) ([]delivery.Event, Outcome, error)

// Redacted is what a secret header's value is replaced with.
const Redacted = "[redacted]"

var secretHeaders = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
	"x-hub-signature": true, "x-hub-signature-256": true, "x-gitlab-token": true,
	"x-pagerduty-signature": true, "x-opsgenie-token": true, "x-api-key": true,
}

var hopHeaders = map[string]bool{
	"connection": true, "keep-alive": true, "te": true, "trailer": true, "transfer-encoding": true,
	"upgrade": true, "content-length": true, "accept-encoding": true,
}

// RedactHeaders copies request headers for the raw copy: names lower-cased,
// values joined, secrets (tokens, signatures, cookies) replaced by Redacted.
func RedactHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for name, values := range h {
		n := strings.ToLower(name)
		if hopHeaders[n] {
			continue
		}
		if isSecretHeader(n) {
			out[n] = Redacted
			continue
		}
		out[n] = strings.Join(values, ", ")
	}
	return out
}

func isSecretHeader(n string) bool {
	if secretHeaders[n] {
		return true
	}
	if n == "idempotency-key" {
		return false
	}
	for _, s := range []string{"token", "secret", "signature", "password", "api-key", "apikey"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// HeaderNames lists a raw copy's header names in order, for tests and logs.
func HeaderNames(h map[string]string) []string {
	out := make([]string, 0, len(h))
	for k := range h {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
