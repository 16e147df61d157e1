package stats

import (
	"math"
	"math/rand/v2"
	"sort"
	"sync"
)

// pairwiseDiffs answers order-statistic queries on the n·m differences
// D[i][j] = x[i] − y[j] of two ascending samples without materialising them.
//
// With x and y ascending, every row i is non-increasing in j and every column
// non-decreasing in i (floating-point subtraction is monotone), so the
// differences below any value form a staircase that is counted in O(n + m).
// Selection keeps an open value interval (lo, hi) around the wanted
// differences and narrows it with pivots read off a systematic sample of the
// remaining candidates (Floyd–Rivest style): each round keeps about a
// seventh, so 1000 × 1000 differences need three or four rounds, after
// which the few thousand survivors are selected directly. Several ranks near
// each other (an interval and its estimate) share the first rounds. On this
// repository's 2-core machine one rank of 10⁶ differences takes about 70 µs,
// an estimate and its interval about 200 µs.
type pairwiseDiffs struct {
	x, y []float64
	rng  *rand.Rand

	// Working memory, borrowed from scratchPool between acquire and
	// release.
	sc        *selectionScratch
	below, at []int // per row, first column < v and ≤ v
	cur       window
	shared    window // kths: the window common to all its ranks
	buf       []float64
}

// selectionScratch is the working memory of selections on one pair of
// samples. It is pooled: a judgment selects on twenty pairs one after
// another, and allocating ~100 KB for each made garbage collection a real
// share of a judgment's time.
type selectionScratch struct {
	ints []int
	buf  []float64
}

var scratchPool sync.Pool // *selectionScratch

// acquire borrows working memory for a selection; release returns it.
// Every method that selects runs between the two.
func (p *pairwiseDiffs) acquire() {
	sc, _ := scratchPool.Get().(*selectionScratch)
	if sc == nil {
		sc = &selectionScratch{}
	}
	n := len(p.x)
	if cap(sc.ints) < 6*n {
		sc.ints = make([]int, 6*n)
	}
	ints := sc.ints[:6*n]
	p.sc = sc
	p.below, p.at = ints[:n], ints[n:2*n]
	p.cur = window{start: ints[2*n : 3*n], end: ints[3*n : 4*n]}
	p.shared = window{start: ints[4*n : 5*n], end: ints[5*n:]}
	p.buf = sc.buf[:0]
}

func (p *pairwiseDiffs) release() {
	p.sc.buf = p.buf[:0] // keep what it grew to
	scratchPool.Put(p.sc)
	p.sc, p.below, p.at, p.buf = nil, nil, nil, nil
	p.cur, p.shared = window{}, window{}
}

// window is a selection state: the candidates are the differences in the
// open interval (lo, hi); row i holds them in columns [start[i], end[i]);
// a differences are ≤ lo and b are < hi.
type window struct {
	start, end []int
	a, b       int
}

const (
	pivotSampleSize = 512
	// directSelectMin is the candidate count under which selection stops
	// narrowing and copies the survivors out.
	directSelectMin = 4096
)

func (p *pairwiseDiffs) init(x, y []float64) {
	p.x, p.y = x, y
	// A fixed seed: answers never depend on the sample drawn, only the
	// running time does, and a fixed seed keeps that reproducible too.
	p.rng = rand.New(rand.NewPCG(0x6b617965, 0x6e746121))
}

func (p *pairwiseDiffs) reset() {
	m := len(p.y)
	for i := range p.cur.start {
		p.cur.start[i], p.cur.end[i] = 0, m
	}
	p.cur.a, p.cur.b = 0, len(p.x)*m
}

// kth returns the k-th smallest difference, 1 ≤ k ≤ n·m.
func (p *pairwiseDiffs) kth(k int) float64 {
	p.reset()
	return p.narrowTo(k)
}

// kths returns the differences of ranks ks, sharing the first rounds of
// narrowing between them. ks must be ascending.
func (p *pairwiseDiffs) kths(ks ...int) []float64 {
	out := make([]float64, len(ks))
	p.reset()
	// Narrow to a window holding all of the ranks, then each from there.
	lo, hi := ks[0], ks[len(ks)-1]
	for p.cur.b-p.cur.a > directSelectMin+len(p.x)+len(p.y) {
		if !p.round(lo, hi) {
			break
		}
		// Stop sharing once the wanted ranks fill most of the window.
		if float64(hi-lo+1) > 0.3*float64(p.cur.b-p.cur.a) {
			break
		}
	}
	p.shared.a, p.shared.b = p.cur.a, p.cur.b
	copy(p.shared.start, p.cur.start)
	copy(p.shared.end, p.cur.end)
	for i, k := range ks {
		if i > 0 {
			copy(p.cur.start, p.shared.start)
			copy(p.cur.end, p.shared.end)
			p.cur.a, p.cur.b = p.shared.a, p.shared.b
		}
		out[i] = p.narrowTo(k)
	}
	return out
}

// narrowTo finishes selecting rank k from the current window.
func (p *pairwiseDiffs) narrowTo(k int) float64 {
	for p.cur.b-p.cur.a > directSelectMin+len(p.x)+len(p.y) {
		if v, found := p.pivotRound(k); found {
			return v
		}
	}
	return p.selectCandidates(k - p.cur.a)
}

// pivotRound is round(k, k) that also reports a pivot that is itself the
// k-th difference.
func (p *pairwiseDiffs) pivotRound(k int) (float64, bool) {
	var hit float64
	found := false
	p.roundFunc(k, k, func(v float64, lt, le int) {
		if lt < k && k <= le {
			hit, found = v, true
		}
	})
	return hit, found
}

// round narrows the window towards ranks [kLo, kHi]; it reports whether the
// window shrank.
func (p *pairwiseDiffs) round(kLo, kHi int) bool {
	before := p.cur.b - p.cur.a
	p.roundFunc(kLo, kHi, nil)
	return p.cur.b-p.cur.a < before
}

// roundFunc draws a sample of the candidates, takes as pivots the sample
// values just below rank kLo and just above rank kHi (three standard errors
// out), counts each and moves the window's bounds; seen, if set, is told
// every pivot's counts.
func (p *pairwiseDiffs) roundFunc(kLo, kHi int, seen func(v float64, lt, le int)) {
	var sample [pivotSampleSize]float64
	c := p.cur.b - p.cur.a
	p.drawCandidates(sample[:], c)
	s := float64(pivotSampleSize)
	pos := func(k int) float64 { return float64(k-p.cur.a) / float64(c) * s }
	spread := func(q float64) float64 { return 3*math.Sqrt(s*q*(1-q)) + 2 }
	qLo, qHi := pos(kLo)/s, pos(kHi)/s
	idxLo := math.Floor(pos(kLo) - spread(qLo))
	idxHi := math.Ceil(pos(kHi) + spread(qHi))
	var pivots [2]float64
	n := 0
	rest := sample[:] // after selecting the lower pivot, the upper is right of it
	offset := 0
	if idxLo >= 0 {
		pivots[n] = quickselect(rest, int(idxLo))
		n++
		rest, offset = rest[int(idxLo)+1:], int(idxLo)+1
	}
	if idxHi < s {
		pivots[n] = quickselect(rest, int(idxHi)-offset)
		n++
	}
	for _, v := range pivots[:n] {
		lt, le := p.count(v)
		if seen != nil {
			seen(v, lt, le)
		}
		switch {
		case le < kLo && le > p.cur.a: // every wanted rank is above v: v becomes lo
			p.cur.a = le
			copy(p.cur.end, p.at)
		case lt >= kHi && lt < p.cur.b: // every wanted rank is below v: v becomes hi
			p.cur.b = lt
			copy(p.cur.start, p.below)
		}
	}
}

// drawCandidates fills dst with a systematic sample of the c current
// candidates (row by row, every c/len(dst)-th from a random start), which
// needs no sorting and is no worse than a simple random sample.
func (p *pairwiseDiffs) drawCandidates(dst []float64, c int) {
	stride := float64(c) / float64(len(dst))
	offset := p.rng.Float64() * stride
	row, before := 0, 0 // before: candidates in rows < row
	st, en := p.cur.start, p.cur.end
	for i := range dst {
		t := min(int(offset+float64(i)*stride), c-1)
		for t >= before+en[row]-st[row] {
			before += en[row] - st[row]
			row++
		}
		dst[i] = p.x[row] - p.y[st[row]+t-before]
	}
}

// selectCandidates copies out the current candidates and returns the r-th
// smallest of them (1-based).
func (p *pairwiseDiffs) selectCandidates(r int) float64 {
	p.buf = p.scratch(directSelectMin + len(p.x) + len(p.y))
	for i, xi := range p.x {
		for j := p.cur.start[i]; j < p.cur.end[i]; j++ {
			p.buf = append(p.buf, xi-p.y[j])
		}
	}
	return quickselect(p.buf, r-1)
}

// scratch returns p.buf emptied, with room for n values.
func (p *pairwiseDiffs) scratch(n int) []float64 {
	if cap(p.buf) < n {
		p.buf = make([]float64, 0, n)
	}
	return p.buf[:0]
}

// successor returns the (k+1)-th smallest difference given that v is the
// k-th: v again if it is repeated, else the smallest difference above v.
func (p *pairwiseDiffs) successor(v float64, k int) float64 {
	if _, le := p.count(v); le > k {
		return v
	}
	best := math.Inf(1)
	for i, xi := range p.x {
		// Row i is non-increasing, so its differences > v are the columns
		// before p.at[i], and the smallest of them is the last one.
		if j := p.at[i]; j > 0 {
			best = math.Min(best, xi-p.y[j-1])
		}
	}
	return best
}

// count returns how many differences are < v and ≤ v, leaving in p.below[i]
// and p.at[i] the first column of row i whose difference is < v and ≤ v.
//
// The differences below v form a staircase, walked one step per iteration
// — right along a row or on to the next — without data-dependent branches
// (on random data every branch of the obvious loop is a coin toss). A step
// waits for the one before, so the rows are cut in four and the four walks
// run interleaved, giving the processor independent chains to overlap. The
// ≤ count then only needs, per row, the run of differences equal to v just
// before the < boundary, which is almost always empty.
func (p *pairwiseDiffs) count(v float64) (lt, le int) {
	x, y := p.x, p.y
	n := len(x)
	below, at := p.below[:n], p.at[:n]
	if n < 8 {
		walkDown(x, y, below, 0, 0, v)
		for _, j := range below {
			lt += len(y) - j
		}
	} else {
		lt = countQuarters(x, y, below, v)
	}
	le = lt
	for i, j := range below {
		if j > 0 && x[i]-y[j-1] == v { // a run of differences equal to v
			xi := x[i]
			first := sort.Search(j, func(c int) bool { return xi-y[c] <= v })
			le += j - first
			j = first
		}
		at[i] = j
	}
	return lt, le
}

// countQuarters fills below (first column < v per row) and returns the
// number of differences < v, walking four quarters of the rows at once:
// quarters one and three top-down, two and four bottom-up, each from a
// column found by binary search on its first row. Each walk has its own
// slices of x and below so that the compiler can drop most bounds checks.
func countQuarters(x, y []float64, below []int, v float64) int {
	n, m := len(x), len(y)
	q1, q2, q3 := n/4, n/2, 3*n/4
	firstBelow := func(xi float64) int { return sort.Search(m, func(j int) bool { return xi-y[j] < v }) }
	ba, bb, bc, bd := below[:q1], below[q1:q2], below[q2:q3], below[q3:n]
	xa, xb, xc, xd := x[:len(ba)], x[q1:q2], x[q2:q3], x[q3:n]
	xb, xc, xd = xb[:len(bb)], xc[:len(bc)], xd[:len(bd)]
	// Down walks (a, c): at row i, column j, every column < j of the row is
	// at or above v; step right while column j is too. Up walks (b, d): at
	// row i, column j, every column ≥ j is below v; step left while column
	// j−1 is too, then go up a row.
	ia, ja := 0, firstBelow(xa[0])
	ib, jb := len(bb)-1, firstBelow(xb[len(bb)-1])
	ic, jc := 0, firstBelow(xc[0])
	id, jd := len(bd)-1, firstBelow(xd[len(bd)-1])
	for ia < len(ba) && ja < len(y) && ic < len(bc) && jc < len(y) && ib >= 0 && jb > 0 && id >= 0 && jd > 0 {
		ba[ia], bb[ib], bc[ic], bd[id] = ja, jb, jc, jd
		sa := b2i(xa[ia]-y[ja] >= v) // 1: right, 0: down
		sc := b2i(xc[ic]-y[jc] >= v)
		sb := b2i(xb[ib]-y[jb-1] < v) // 1: left, 0: up
		sd := b2i(xd[id]-y[jd-1] < v)
		ja += sa
		jc += sc
		jb -= sb
		jd -= sd
		ia += 1 - sa
		ic += 1 - sc
		ib -= 1 - sb
		id -= 1 - sd
	}
	walkDown(xa, y, ba, ia, ja, v)
	walkDown(xc, y, bc, ic, jc, v)
	walkUp(xb, y, bb, ib, jb, v)
	walkUp(xd, y, bd, id, jd, v)
	total := 0
	for _, j := range below {
		total += m - j
	}
	return total
}

// walkDown finishes a down walk at row i, column j: below[r] becomes the
// first column of row r whose difference is < v, for rows i and on.
func walkDown(x, y []float64, below []int, i, j int, v float64) {
	x = x[:len(below)]
	for i < len(below) && j < len(y) {
		below[i] = j
		if x[i]-y[j] >= v {
			j++
			continue
		}
		i++
	}
	for ; i < len(below); i++ {
		below[i] = len(y)
	}
}

// walkUp finishes an up walk at row i, column j, where columns ≥ j of row i
// are known to be < v: below[r] becomes the first such column of row r, for
// rows i and before.
func walkUp(x, y []float64, below []int, i, j int, v float64) {
	x = x[:len(below)]
	for ; i >= 0; i-- {
		for j > 0 && x[i]-y[j-1] < v {
			j--
		}
		below[i] = j
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// quickselect returns the element that would be at index r (0-based) if v
// were sorted, reordering v. The pivot is the median of three pseudo-random
// elements (positional pivots suit the samples badly: they come row by row
// off the staircase, a sawtooth). Partitioning is Lomuto's without
// branches — the swap is unconditional and only the boundary moves on the
// comparison — since on random values every branch would be a coin toss;
// a second pass splits off the elements equal to the pivot, so that ties
// cannot stall it.
func quickselect(v []float64, r int) float64 {
	// The answer is in v[lo:hi]; state drives a xorshift generator (never 0).
	lo, hi := 0, len(v)
	state := uint64(len(v))*0x9e3779b97f4a7c15 | 1
	next := func(n int) int {
		state ^= state << 13
		state ^= state >> 7
		state ^= state << 17
		return int(state % uint64(n))
	}
	for hi-lo > 1 {
		n := hi - lo
		a, b, c := v[lo+next(n)], v[lo+next(n)], v[lo+next(n)]
		pivot := max(min(a, b), min(max(a, b), c)) // median of three
		less := partitionLess(v[lo:hi], pivot) + lo
		if r < less {
			hi = less
			continue
		}
		equal := partitionEqual(v[less:hi], pivot) + less
		if r < equal {
			return pivot
		}
		lo = equal
	}
	return v[r]
}

// partitionLess moves the elements of v below pivot to the front and
// returns how many there are.
func partitionLess(v []float64, pivot float64) int {
	first := 0
	for i, x := range v {
		v[i] = v[first]
		v[first] = x
		first += b2i(x < pivot)
	}
	return first
}

// partitionEqual is partitionLess for the elements equal to pivot.
func partitionEqual(v []float64, pivot float64) int {
	first := 0
	for i, x := range v {
		v[i] = v[first]
		v[first] = x
		first += b2i(x == pivot)
	}
	return first
}
