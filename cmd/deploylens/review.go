package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/deploylens/deploylens/query/review"
	"github.com/deploylens/deploylens/query/waits"
)

// reviewFlags are the flags of `deploylens review`.
type reviewFlags struct {
	storeFlags
	queryFlags
	team, week, environment string
	format, out, post       string
	postTimeout             time.Duration
}

// runReview is `deploylens review`: it builds one team's weekly review from
// the store, writes it as HTML, Markdown or JSON, and can post the
// Markdown summary to a Slack- or Teams-compatible incoming webhook.
func runReview(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f reviewFlags
	fs := flag.NewFlagSet("review", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: deploylens review --team T [--week 2026-W10] [--format html|md|json] [--out FILE] [--post WEBHOOK_URL] [flags]")
		fmt.Fprintln(stderr, "Writes the review to --out (stdout if not given; with --post and no --out, nothing is written).")
		fs.PrintDefaults()
	}
	f.storeFlags.register(fs)
	f.queryFlags.register(fs)
	fs.StringVar(&f.team, "team", "", "team to review (required)")
	fs.StringVar(&f.week, "week", "", "ISO week to review, e.g. 2026-W10 (default: the last complete week, in UTC)")
	fs.StringVar(&f.environment, "environment", "production", "environment to review")
	fs.StringVar(&f.format, "format", "html", "html (a self-contained page), md (Markdown) or json (as GET /api/v1/reviews/weekly)")
	fs.StringVar(&f.out, "out", "", "file to write the review to (default stdout)")
	fs.StringVar(&f.post, "post", "", `incoming webhook URL to post the Markdown summary to, as {"text": …} (Slack, Microsoft Teams, Mattermost, Rocket.Chat)`)
	fs.DurationVar(&f.postTimeout, "post-timeout", 30*time.Second, "how long to wait for the webhook to answer")
	if err := parseFlags(fs, args); err != nil {
		return usageError{err}
	}
	week, err := f.validate(time.Now())
	if err != nil {
		return usageError{err}
	}
	if err := f.queryFlags.validate(); err != nil {
		return usageError{err}
	}

	st, _, err := openStore(ctx, &f.storeFlags, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	calc, err := f.queryFlags.doraCalculator(st, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	timeout := f.queryTimeout * review.TimeoutFactor
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r, err := review.Build(ctx, review.Sources{Conn: st.Conn, DORA: calc, Waits: &waits.Calculator{Conn: st.Conn, Cluster: st.Cluster, Log: calc.Log}}, f.team, f.environment, week)
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("the review took longer than %v (%d × --query-timeout %v): raise --query-timeout", timeout, review.TimeoutFactor, f.queryTimeout)
	}
	if err != nil {
		return fmt.Errorf("review %s %s: %w", f.team, week, err)
	}

	if f.out != "" || f.post == "" {
		var doc bytes.Buffer
		switch f.format {
		case "html":
			err = review.HTML(&doc, &r, nil, time.Now())
		case "md":
			err = review.Markdown(&doc, &r)
		case "json":
			enc := json.NewEncoder(&doc)
			enc.SetIndent("", "  ")
			err = enc.Encode(r)
		}
		if err != nil {
			return err
		}
		if f.out == "" {
			_, err = stdout.Write(doc.Bytes())
		} else if err = os.WriteFile(f.out, doc.Bytes(), 0o644); err == nil {
			fmt.Fprintf(stderr, "wrote the %s review of %s, %s to %s\n", f.format, f.team, week, f.out)
		}
		if err != nil {
			return fmt.Errorf("--out %s: %w", f.out, err)
		}
	}
	if f.post != "" {
		if err := postSummary(ctx, f.post, review.Summary(&r), f.postTimeout); err != nil {
			return err
		}
		u, _ := url.Parse(f.post)
		fmt.Fprintf(stderr, "posted the summary of %s, %s to %s\n", f.team, week, u.Host)
	}
	return nil
}

// validate checks the flags and returns the week to review.
func (f *reviewFlags) validate(now time.Time) (review.Week, error) {
	if strings.TrimSpace(f.team) == "" {
		return review.Week{}, errors.New("--team is required: the team whose week to review")
	}
	switch f.format {
	case "html", "md", "json":
	default:
		return review.Week{}, fmt.Errorf("--format %q is not one of html, md, json", f.format)
	}
	if f.post != "" {
		u, err := url.Parse(f.post)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return review.Week{}, errors.New("--post must be an http(s) URL of an incoming webhook")
		}
	}
	if f.postTimeout <= 0 {
		return review.Week{}, errors.New("--post-timeout must be positive, e.g. 30s")
	}
	if f.week == "" {
		return review.LastCompleteWeek(now), nil
	}
	w, err := review.ParseWeek(f.week)
	if err != nil {
		return w, fmt.Errorf("--week %v", err)
	}
	if !w.Start().Before(now) {
		return w, fmt.Errorf("--week %s has not started yet", w)
	}
	return w, nil
}

// maxWebhookAnswer bounds how much of a webhook's error answer is quoted.
const maxWebhookAnswer = 300

// postSummary posts {"text": markdown}, the body Slack's and Microsoft
// Teams' incoming webhooks both accept. Anything but a 2xx is an error
// naming the status (and the start of the answer, which says why).
func postSummary(ctx context.Context, webhook, markdown string, timeout time.Duration) error {
	body, err := json.Marshal(map[string]string{"text": markdown})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhook, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("--post: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "deploylens/"+version)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		// The URL holds the webhook's secret: name only its host.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post the summary to %s: %w", req.URL.Host, err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, maxWebhookAnswer))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("the webhook at %s answered %s: %s", req.URL.Host, res.Status, strings.TrimSpace(string(answer)))
	}
	return nil
}
