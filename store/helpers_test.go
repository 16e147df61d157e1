package store_test

import (
	"errors"

	"github.com/ClickHouse/clickhouse-go/v2"
)

func asException(err error, ex **clickhouse.Exception) bool { return errors.As(err, ex) }
