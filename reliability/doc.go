// Package reliability is deploylens' reliability suite (`make reliability`):
// the real binary, its real engine and real payloads on loopback, under
// bounded load and injected faults — engine killed, deploylens killed, a slow
// engine, duplicated and reordered deliveries, and several processes sharing
// one store. Each test checks that every acknowledged row is stored (and
// nothing twice where ids make it checkable) and reports its figures.
//
// The tests carry the build tag reliability, so `go test ./...` skips them:
//
//	go test -tags reliability -count=1 -v -timeout 30m ./reliability/
//
// Rates and durations come from the environment (see settings in
// main_test.go); the defaults keep the whole suite within a few minutes on
// two cores.
package reliability
