package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// Detail names one offending field of a request.
type Detail struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ErrorBody is every error response: {"error": "...", "details": [...]}.
type ErrorBody struct {
	Error   string   `json:"error"`
	Details []Detail `json:"details,omitempty"`
}

// Error writes the one error envelope every endpoint uses.
func Error(c *gin.Context, status int, msg string, details ...Detail) {
	c.AbortWithStatusJSON(status, ErrorBody{Error: msg, Details: details})
}

// MaxJSONBody caps JSON request bodies of the API (ingest sets its own caps).
const MaxJSONBody = 1 << 20

// BodyTimeoutMessage answers a request whose body did not arrive in time.
const BodyTimeoutMessage = "the request body was not received in time (--http-read-timeout): send it without pausing"

// BindJSON decodes a JSON body into v, answering 400 (or 413) naming the
// field and returning false when it cannot.
func BindJSON(c *gin.Context, v any) bool {
	body := http.MaxBytesReader(c.Writer, c.Request.Body, MaxJSONBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			Error(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", tooBig.Limit))
		case IsTimeout(err):
			Error(c, http.StatusRequestTimeout, BodyTimeoutMessage)
		case errors.As(err, &syn):
			Error(c, http.StatusBadRequest, "request body is not valid JSON", Detail{Field: "body", Message: fmt.Sprintf("%v at byte %d", syn, syn.Offset)})
		case errors.As(err, &typ):
			Error(c, http.StatusBadRequest, "a field has the wrong type", Detail{Field: typ.Field, Message: fmt.Sprintf("must be %s, not %s", typ.Type, typ.Value)})
		case errors.Is(err, io.EOF):
			Error(c, http.StatusBadRequest, "request body is empty", Detail{Field: "body", Message: "a JSON object is required"})
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			Error(c, http.StatusBadRequest, "unknown field "+f, Detail{Field: f, Message: "not a field of this request"})
		default:
			Error(c, http.StatusBadRequest, "request body cannot be read: "+err.Error(), Detail{Field: "body", Message: err.Error()})
		}
		return false
	}
	return true
}
