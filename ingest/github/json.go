package github

import "encoding/json"

func jsonUnmarshal(b json.RawMessage, v any) error {
	if len(b) == 0 {
		return errEmpty
	}
	return json.Unmarshal(b, v)
}

var errEmpty = jsonError("empty")

type jsonError string

func (e jsonError) Error() string { return string(e) }
