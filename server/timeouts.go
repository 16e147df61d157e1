package server

import (
	"errors"
	"os"
	"time"
)

// Timeouts bound how long one connection may hold the server.
type Timeouts struct {
	// ReadHeader is the time to send a request's headers.
	ReadHeader time.Duration
	// Read is the time to send a whole request, headers and body: long
	// enough for the largest ingest body on a slow link.
	Read time.Duration
	// Write runs from the end of the headers to the end of the response, so
	// it must cover reading the body and the longest query.
	Write time.Duration
	// Idle is how long a keep-alive connection may wait for its next request.
	Idle time.Duration
}

// DefaultTimeouts: 25 MiB in Read is 1.7 Mbit/s; Write leaves Read plus
// the longest handler (a 60 s canary analysis) room.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 2 * time.Minute, Write: 5 * time.Minute, Idle: 2 * time.Minute}

func (t Timeouts) orDefaults() Timeouts {
	for _, f := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&t.ReadHeader, DefaultTimeouts.ReadHeader}, {&t.Read, DefaultTimeouts.Read},
		{&t.Write, DefaultTimeouts.Write}, {&t.Idle, DefaultTimeouts.Idle},
	} {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	return t
}

// IsTimeout reports whether err is a read that hit the connection's
// deadline: the client did not send its body within Timeouts.Read.
func IsTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}
