// Package github receives GitHub webhooks on POST /webhooks/github and
// translates them into delivery entities: pushes and pull requests into
// changes, workflow runs and jobs and check runs into pipeline stages,
// deployments, deployment statuses and releases into deployments, and
// deployment reviews into approval stages.
package github

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	gh "github.com/google/go-github/v75/github"

	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/server"
)

// Source names this receiver in rows, raw copies and metrics.
const Source = "github"

// SecretFlag is the setting that holds the webhook secret.
const SecretFlag = "github-webhook-secret"

// Receiver checks and stores GitHub webhook deliveries.
type Receiver struct {
	Writer  *ingest.Writer
	Secret  []byte
	MaxBody int64
}

// Register mounts POST /webhooks/github. Webhooks authenticate by their
// signature, not by a bearer token.
func (r *Receiver) Register(e gin.IRoutes) {
	e.POST("/webhooks/github", r.Writer.Handle(Source, r.MaxBody, r.decode))
}

func (r *Receiver) decode(c *gin.Context, body []byte) ([]ingest.Item, error) {
	if err := Verify(r.Secret, c.GetHeader(gh.SHA256SignatureHeader), body); err != nil {
		return nil, err
	}
	event := c.GetHeader(gh.EventTypeHeader)
	if event == "" {
		return nil, ingest.BadRequest("missing X-GitHub-Event header", server.Detail{Field: "X-GitHub-Event", Message: "is required"})
	}
	id := c.GetHeader(gh.DeliveryIDHeader)
	if id == "" { // GitHub always sends it; a hand-made delivery is keyed by its content
		sum := sha256.Sum256(body)
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	raw := ingest.Raw{EventType: event, DeliveryID: id, Headers: ingest.RedactHeaders(c.Request.Header), Body: body}
	if r.Writer.Now != nil {
		raw.ReceivedAt = r.Writer.Now().UTC()
	}
	events, outcome, err := Translate(&raw)
	if err != nil {
		return nil, err
	}
	raw.Outcome = outcome
	return []ingest.Item{{Raw: raw, Events: events}}, nil
}

// Verify checks an X-Hub-Signature-256 header ("sha256=<hex HMAC of the
// body>") in constant time. An empty secret refuses every delivery.
func Verify(secret []byte, signature string, body []byte) error {
	if len(secret) == 0 {
		return ingest.NotConfigured("GitHub", SecretFlag)
	}
	if signature == "" {
		return ingest.Unauthorized("missing X-Hub-Signature-256: set the webhook's secret in GitHub to the value of DEPLOYLENS_GITHUB_WEBHOOK_SECRET")
	}
	if !strings.HasPrefix(signature, "sha256=") {
		return ingest.Unauthorized("X-Hub-Signature-256 is not sha256=<hex>")
	}
	if err := gh.ValidateSignature(signature, body, secret); err != nil {
		return ingest.Unauthorized("X-Hub-Signature-256 does not match the body: check that GitHub and deploylens share the same webhook secret")
	}
	return nil
}

// payload returns the JSON of a delivery, which GitHub sends either as the
// body or, for content type application/x-www-form-urlencoded, as its
// "payload" form field.
func payload(raw *ingest.Raw) []byte {
	ct := raw.Headers["content-type"]
	if strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		if v, err := url.ParseQuery(string(raw.Body)); err == nil && v.Get("payload") != "" {
			return []byte(v.Get("payload"))
		}
	}
	return raw.Body
}
