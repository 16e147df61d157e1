package dora

import (
	"embed"

	"github.com/deploylens/deploylens/query/delivery"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

// queries holds the rendered SQL of sql/*.sql by file name.
var queries = delivery.Queries(sqlFiles, "sql/*.sql")
