// Package gitlab receives GitLab webhooks on POST /webhooks/gitlab (push,
// merge request, pipeline, job, deployment and release hooks) and
// translates them into delivery entities.
package gitlab

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/ingest"
)

// Source names this receiver in rows, raw copies and metrics.
const Source = "gitlab"

// TokenFlag is the setting that holds the webhook's secret token.
const TokenFlag = "gitlab-webhook-token"

// Receiver checks and stores GitLab webhook deliveries.
type Receiver struct {
	Writer  *ingest.Writer
	Token   []byte
	MaxBody int64
}

// Register mounts POST /webhooks/gitlab.
func (r *Receiver) Register(e gin.IRoutes) {
	e.POST("/webhooks/gitlab", r.Writer.Handle(Source, r.MaxBody, r.decode))
}

func (r *Receiver) decode(c *gin.Context, body []byte) ([]ingest.Item, error) {
	if err := Verify(r.Token, c.GetHeader("X-Gitlab-Token")); err != nil {
		return nil, err
	}
	raw := ingest.Raw{EventType: c.GetHeader("X-Gitlab-Event"), DeliveryID: DeliveryID(c.GetHeader, body),
		Headers: ingest.RedactHeaders(c.Request.Header), Body: body}
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

// Verify compares the X-Gitlab-Token header with the configured token in
// constant time. An empty token refuses every delivery.
func Verify(token []byte, got string) error {
	return sharedToken.Verify(token, got)
}

var sharedToken = ingest.SharedToken{Source: "GitLab", Flag: TokenFlag, Header: "X-Gitlab-Token",
	HowToSend: "set the webhook's secret token in GitLab to the value of"}

// DeliveryID is the idempotency key of a delivery: Idempotency-Key (the same
// across GitLab's retries), else X-Gitlab-Event-UUID, else the body's hash.
func DeliveryID(header func(string) string, body []byte) string {
	for _, h := range []string{"Idempotency-Key", "X-Gitlab-Event-UUID"} {
		if v := header(h); v != "" {
			return v
		}
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:])
}
