package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/deploylens/deploylens/server"
)

// httpFlags bound what one client may take of the HTTP listener: how long
// it may take to send a request, and how many requests a token may make.
type httpFlags struct {
	timeouts  server.Timeouts
	rateLimit server.RateLimit
}

func (f *httpFlags) register(fs *flag.FlagSet) {
	d := server.DefaultTimeouts
	fs.DurationVar(&f.timeouts.ReadHeader, "http-read-header-timeout", d.ReadHeader, "time a client has to send a request's headers")
	fs.DurationVar(&f.timeouts.Read, "http-read-timeout", d.Read, "time a client has to send a whole request, body included (408 past it); size it for the largest ingest body on the slowest sender")
	fs.DurationVar(&f.timeouts.Write, "http-write-timeout", d.Write, "time from a request's headers to the end of its response; must exceed --http-read-timeout plus --query-timeout")
	fs.DurationVar(&f.timeouts.Idle, "http-idle-timeout", d.Idle, "how long a keep-alive connection may wait for its next request")
	fs.Float64Var(&f.rateLimit.Rate, "rate-limit", 0, "requests per second each API token may make, over HTTP and OTLP/gRPC together (429 past it); 0: no limit")
	fs.IntVar(&f.rateLimit.Burst, "rate-burst", 50, "requests a token may make at once before --rate-limit applies")
}

// validate checks the flags; queryTimeout is the longest a request may
// compute, which the write timeout must leave room for.
func (f *httpFlags) validate(queryTimeout time.Duration) error {
	t, d := f.timeouts, server.DefaultTimeouts
	for _, v := range []struct {
		name     string
		got, def time.Duration
	}{
		{"--http-read-header-timeout", t.ReadHeader, d.ReadHeader}, {"--http-read-timeout", t.Read, d.Read},
		{"--http-write-timeout", t.Write, d.Write}, {"--http-idle-timeout", t.Idle, d.Idle},
	} {
		if v.got <= 0 {
			return fmt.Errorf("%s must be positive, e.g. %v", v.name, v.def)
		}
	}
	if t.ReadHeader > t.Read {
		return fmt.Errorf("--http-read-header-timeout %v must be at most --http-read-timeout %v", t.ReadHeader, t.Read)
	}
	if need := t.Read + queryTimeout; t.Write <= need {
		return fmt.Errorf("--http-write-timeout %v must exceed --http-read-timeout plus --query-timeout (%v), or slow uploads and long queries lose their answers", t.Write, need)
	}
	return f.rateLimit.Validate()
}
