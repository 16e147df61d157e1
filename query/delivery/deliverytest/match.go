package deliverytest

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// Match reports where an answer does not hold a partial expected answer
// (decoded JSON): every key of an expected object must be present and
// match, arrays match element by element, numbers to within 1e-9 relative.
// Fields the expectation leaves out are not checked.
func Match(answer any, want any) []string {
	b, err := json.Marshal(answer)
	if err != nil {
		return []string{err.Error()}
	}
	var got any
	if err := json.Unmarshal(b, &got); err != nil {
		return []string{err.Error()}
	}
	return match("", got, want)
}

func match(path string, got, want any) []string {
	switch w := want.(type) {
	case nil:
		if got != nil {
			return []string{fmt.Sprintf("%s = %v, want null", path, got)}
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s = %v, want an object", path, got)}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			out = append(out, match(path+"."+k, g[k], w[k])...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s = %v, want %d elements %v", path, got, len(w), w)}
		}
		var out []string
		for i := range w {
			out = append(out, match(fmt.Sprintf("%s[%d]", path, i), g[i], w[i])...)
		}
		return out
	case float64:
		g, ok := got.(float64)
		if !ok || math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)) {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, w)}
		}
	default:
		if got != want {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
	}
	return nil
}
