// Command seed sends the demo delivery history the plugin's tests use
// (deploylenstest.DemoEvents) to a running deploylens through its public
// API, for the Grafana end-to-end suite: go run ./plugin/e2e/seed -url … -token ….
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/deploylens/deploylens/plugin/pkg/deploylenstest"
)

func main() {
	base := flag.String("url", "http://localhost:18080", "deploylens URL")
	token := flag.String("token", "", "admin token")
	flag.Parse()
	demo, events := deploylenstest.DemoEvents(time.Now())
	for svc, team := range demo.Services {
		body, _ := json.Marshal(map[string]string{"team": team})
		send(*base, *token, http.MethodPut, "/api/v1/catalog/services/"+svc, body)
	}
	body, _ := json.Marshal(events)
	send(*base, *token, http.MethodPost, "/api/v1/events", body)
	fmt.Printf("seeded %d events for teams %v; a change to open in a timeline: %s\n", len(events), demo.Teams, demo.ChangeID)
}

func send(base, token, method, path string, body []byte) {
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		fail(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fail(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		fail(fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "seed:", err)
	os.Exit(1)
}
