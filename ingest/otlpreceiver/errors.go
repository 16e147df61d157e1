package otlpreceiver

import (
	"context"
	"errors"
	"net/http"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/ingest/commit"
)

// outcome is what a refused request is answered, in both transports.
type outcome struct {
	http  int
	grpc  codes.Code
	retry time.Duration // 0: not retryable
	msg   string
}

// classify is the one place where receiver errors become statuses. OTLP
// senders retry 429/503 and RESOURCE_EXHAUSTED (with RetryInfo)/UNAVAILABLE,
// and drop what is answered 400/413/415 and INVALID_ARGUMENT.
func classify(err error) outcome {
	var re *ingest.RequestError
	var ie *commit.InsertError
	switch {
	case errors.As(err, &re):
		o := outcome{http: re.Status, grpc: codes.InvalidArgument, msg: re.Error()}
		switch re.Status {
		case http.StatusUnauthorized:
			o.grpc = codes.Unauthenticated
		case http.StatusForbidden:
			o.grpc = codes.PermissionDenied
		case http.StatusRequestEntityTooLarge:
			o.grpc = codes.ResourceExhausted
		}
		return o
	case errors.Is(err, commit.ErrOverloaded):
		return outcome{http: http.StatusTooManyRequests, grpc: codes.ResourceExhausted, retry: commit.RetryAfter(err),
			msg: "telemetry not stored, retry later: " + err.Error()}
	case errors.As(err, &ie), errors.Is(err, commit.ErrClosed):
		return outcome{http: http.StatusServiceUnavailable, grpc: codes.Unavailable, retry: commit.RetryAfter(err),
			msg: "telemetry not stored, retry later: " + err.Error()}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return outcome{http: http.StatusServiceUnavailable, grpc: codes.Unavailable, retry: time.Second,
			msg: "telemetry not stored: the request ended before it was committed; retry"}
	}
	return outcome{http: http.StatusInternalServerError, grpc: codes.Internal, msg: "telemetry not stored: " + err.Error()}
}

// grpcError is err as a gRPC status, with RetryInfo when a retry may succeed
// (OTLP clients retry RESOURCE_EXHAUSTED only when it carries RetryInfo).
func grpcError(err error) error {
	o := classify(err)
	return withRetryInfo(status.New(o.grpc, o.msg), o.retry).Err()
}

// withRetryInfo adds the delay after which a retry may succeed, if any.
func withRetryInfo(st *status.Status, retry time.Duration) *status.Status {
	if retry <= 0 {
		return st
	}
	if withInfo, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(retry)}); err == nil {
		return withInfo
	}
	return st
}
