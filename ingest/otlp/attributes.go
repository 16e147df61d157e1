package otlp

import (
	"sort"

	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// AttrMap is one row's value of a Map(LowCardinality(String), String)
// column: keys and values in parallel, sorted by key, which is the order the
// exporter writes them in. It implements clickhouse-go's
// column.IterableOrderedMap, so a []AttrMap appends to a Map column.
type AttrMap struct {
	Keys   []string
	Values []string

	// keys boxed as interfaces, parallel to Keys, for the driver; nil for
	// maps built by hand. Boxing each key once per distinct key set saves
	// an allocation per key per row when the column is encoded.
	boxedKeys []any
}

var _ column.IterableOrderedMap = AttrMap{}

// Len returns the number of entries.
func (m AttrMap) Len() int { return len(m.Keys) }

// Get returns the value of the first entry with key k.
func (m AttrMap) Get(k string) (string, bool) {
	for i, key := range m.Keys {
		if key == k {
			return m.Values[i], true
		}
	}
	return "", false
}

// AsMap returns the entries as a Go map, the last duplicate key winning.
func (m AttrMap) AsMap() map[string]string {
	out := make(map[string]string, len(m.Keys))
	for i, k := range m.Keys {
		out[k] = m.Values[i]
	}
	return out
}

// Iterator walks the entries for clickhouse-go when it encodes the column.
func (m AttrMap) Iterator() column.MapIterator { return &attrIterator{m: m, i: -1} }

// Put exists for column.IterableOrderedMap; AttrMap is write-only and never
// the target of a scan, so Put is never called.
func (m AttrMap) Put(any, any) {
	panic("otlp.AttrMap cannot be scanned into; scan Map columns into map[string]string")
}

type attrIterator struct {
	m AttrMap
	i int
}

func (it *attrIterator) Next() bool { it.i++; return it.i < len(it.m.Keys) }

// Key returns the key itself: the LowCardinality key column indexes its
// dictionary by the value it is given, so a pointer would defeat it.
func (it *attrIterator) Key() any {
	if it.m.boxedKeys != nil {
		return it.m.boxedKeys[it.i]
	}
	return it.m.Keys[it.i]
}

// Value returns a pointer, which the String value column reads at once and
// which, unlike a string, goes into an interface without allocating.
func (it *attrIterator) Value() any { return &it.m.Values[it.i] }

// attrRole names the kind of attribute set a map is. Each role remembers
// the key order of its last map: consecutive maps of one role, such as the
// spans of one instrumentation, usually carry the same keys in the same
// order, and then neither sorting nor copying keys is needed.
type attrRole uint8

const (
	roleResource attrRole = iota
	roleScope
	roleRecord // span, log record and data point attributes
	roleEvent
	roleLink
	roleExemplar
	numRoles
)

// keyOrder is a role's memory of its last map.
type keyOrder struct {
	keys  []string // its keys in payload order, as stored
	boxed []any    // the same keys boxed for the driver
	vals  []string // its values in payload order, as stored
	perm  []uint8  // perm[i] is the payload index of the i-th key by sort order
}

// pairBuf holds one map's attributes while they are ordered. Maps with more
// entries are sorted in place in the arena.
type pairBuf [32]kvPair

// kvPair is one attribute on its way into the arena. From the direct
// decoder, k and (when view is set) v still point into the request body.
type kvPair struct {
	k, v string
	view bool
}

// attrs flattens m into an AttrMap backed by the arena, each value as
// AsString renders it, sorted by key (stably: duplicate keys keep their
// payload order).
func (a *arena) attrs(m pcommon.Map, role attrRole) AttrMap {
	if m.Len() == 0 {
		return AttrMap{}
	}
	var buf pairBuf
	pairs := buf[:0]
	m.Range(func(k string, v pcommon.Value) bool {
		pairs = append(pairs, kvPair{k: k, v: a.value(v)})
		return true
	})
	return a.appendSorted(pairs, role, false)
}

// appendSorted appends pairs to the arena sorted by key, stably. keyViews
// says the keys still point into a request body and must be copied before
// they are stored; values that do carry their view flag.
func (a *arena) appendSorted(pairs []kvPair, role attrRole, keyViews bool) AttrMap {
	n := len(pairs)
	if n == 0 {
		return AttrMap{}
	}
	start := len(a.keys)
	if n > len(pairBuf{}) {
		for _, p := range pairs {
			k, v := p.k, p.v
			if keyViews {
				k = a.copyString(k)
			}
			if p.view {
				v = a.copyString(v)
			}
			a.keys = append(a.keys, k)
			a.vals = append(a.vals, v)
		}
		out := AttrMap{Keys: tail(a.keys, start), Values: tail(a.vals, start)}
		sort.Stable(byKey(out))
		return out // rare enough to leave its keys unboxed
	}
	c := &a.orders[role]
	if !c.matches(pairs) {
		// Sort payload indexes on the stack: moving strings around in the
		// arena would go through the GC's write barrier.
		var idx [len(pairBuf{})]uint8
		for i := range n {
			idx[i] = uint8(i)
			for j := i; j > 0 && pairs[idx[j]].k < pairs[idx[j-1]].k; j-- {
				idx[j], idx[j-1] = idx[j-1], idx[j]
			}
		}
		c.keys, c.boxed, c.vals = c.keys[:0], c.boxed[:0], c.vals[:0]
		for _, p := range pairs {
			k := p.k
			if keyViews {
				k = a.copyString(k)
			}
			c.keys = append(c.keys, k)
			c.boxed = append(c.boxed, k)
			c.vals = append(c.vals, "")
		}
		c.perm = append(c.perm[:0], idx[:n]...)
	}
	// A value equal to the last map's at the same position is stored once:
	// request after request repeats most attribute values.
	for i := range pairs {
		p := &pairs[i]
		if p.view {
			if p.v == c.vals[i] {
				p.v = c.vals[i]
			} else {
				p.v = a.copyString(p.v)
			}
		}
		if c.vals[i] != p.v {
			c.vals[i] = p.v
		}
	}
	for _, j := range c.perm {
		a.keys = append(a.keys, c.keys[j])
		a.boxed = append(a.boxed, c.boxed[j])
		a.vals = append(a.vals, pairs[j].v)
	}
	return AttrMap{Keys: tail(a.keys, start), Values: tail(a.vals, start), boxedKeys: tail(a.boxed, len(a.boxed)-n)}
}

func (c *keyOrder) matches(pairs []kvPair) bool {
	if len(c.keys) != len(pairs) {
		return false
	}
	for i, p := range pairs {
		if p.k != c.keys[i] {
			return false
		}
	}
	return true
}

type byKey AttrMap

func (m byKey) Len() int           { return len(m.Keys) }
func (m byKey) Less(i, j int) bool { return m.Keys[i] < m.Keys[j] }
func (m byKey) Swap(i, j int) {
	m.Keys[i], m.Keys[j] = m.Keys[j], m.Keys[i]
	m.Values[i], m.Values[j] = m.Values[j], m.Values[i]
}
