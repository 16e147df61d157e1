// Command deploylens ingests deploy and pipeline events and telemetry into
// ClickHouse and serves DORA metrics, wait-time breakdowns and canary verdicts.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the ingest and query server (and the embedded engine unless --clickhouse-url)", runServe},
		{"migrate", "apply (up) or show (status) schema migrations", runMigrate},
		{"token", "create, list or revoke API tokens", runToken},
		{"event", "send one deployment, change, stage or incident event to a server (for pipelines without a webhook)", runEvent},
		{"demo", "load a realistic, seeded history of four teams into a running server (demo load)", runDemo},
		{"replay", "translate stored raw events again with this version's translators", runReplay},
		{"canary", "run a canary analysis on a server; exit 0 pass, 1 fail, 2 marginal/inconclusive, 3 error", runCanary},
		{"review", "write a team's weekly review (html, md or json) and post its summary to a chat webhook", runReview},
		{"sql", "run one SQL statement against the store and print the rows", runSQL},
		{"engine", "run the embedded ClickHouse engine alone, for several deploylens processes to share", runEngine},
		{"version", "print the version", func(_ context.Context, _ []string, stdout, _ io.Writer) error {
			fmt.Fprintln(stdout, "deploylens", version)
			return nil
		}},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: deploylens <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'deploylens <command> -h' for a command's flags. Every flag can also be set as DEPLOYLENS_<FLAG_NAME>.")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		if err := c.run(ctx, args[1:], stdout, stderr); err != nil {
			if isUsage(err) {
				if err.Error() != "" && err.Error() != "flag: help requested" {
					fmt.Fprintln(stderr, "deploylens:", err)
				}
				return 2
			}
			fmt.Fprintln(stderr, "deploylens:", err)
			// Commands whose exit code carries meaning (canary run) say which.
			var ec interface{ ExitCode() int }
			if errors.As(err, &ec) {
				return ec.ExitCode()
			}
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "deploylens: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}
