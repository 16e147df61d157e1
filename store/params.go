package store

import "strings"

// StringParam renders the value of a String query parameter given in a
// clickhouse.Parameters map. ClickHouse reads such a value as TSV-escaped
// text on both protocols, so a backslash starts an escape and a tab or a
// newline ends the value: `a\` was refused and `a\tb` read as a tab.
// clickhouse-go escapes the values of clickhouse.Named arguments this way,
// not those of parameter maps. Array literals have their own quoting
// (query/delivery.StringArray) and must not pass through here.
func StringParam(v string) string {
	return stringParamEscaper.Replace(v)
}

var stringParamEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`, "\x00", `\0`)
