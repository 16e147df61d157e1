package plugin

import "time"

// now is the clock; tests may replace it.
var now = func() time.Time { return time.Now().UTC() }

// recentFrom is how far back the environment list looks.
func recentFrom() time.Time { return now().AddDate(0, 0, -90) }
