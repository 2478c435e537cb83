// Command bcflow turns BigCommerce store events into durable marketing
// automation on Temporal. Run `bcflow help` for its subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/term"
)

// command is one subcommand of the bcflow binary.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv is what a subcommand may touch of the process, so it can be driven
// from tests.
type cliEnv struct {
	stdout, stderr io.Writer
	// terminal: stdout is a terminal (live displays redraw in place).
	terminal bool
}

// usageError marks a problem with the command line, the configuration or
// the flows file: the process exits with code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

func commands() []command {
	return []command{
		{"dev", "run everything in one process: embedded Temporal + UI, emulator, worker, API", runDev},
		{"worker", "run the Temporal worker against an external Temporal and PostgreSQL", runWorker},
		{"api", "run the HTTP API (webhooks, admin API, health, metrics)", runAPI},
		{"sim", "run the BigCommerce + Brevo emulator on its own, with its shopper control API", runSim},
		{"hooks", "register and inspect the store's webhooks: `bcflow hooks sync|status`", runHooks},
		{"start", "start or signal a workflow as a webhook would: `bcflow start SCOPE ID`", runStart},
		{"redrive", "start failed, terminated or timed-out flows again through the admin API", runRedrive},
		{"sync", "copy the store into bcflow and Brevo and watch it: `bcflow sync historical|manual|status|cancel`", runSync},
		{"segments", "customer segments: `bcflow segments list|members|customer|recompute|status`", runSegments},
		{"migrate", "apply database migrations (and register Temporal search attributes with -temporal)", runMigrate},
		{"flows", "work with flows files: `bcflow flows check FILE`", runFlows},
		{"config", "print the configuration bcflow would use (secrets redacted)", runConfig},
		{"doctor", "run a diagnostics workflow end to end through Temporal, the worker and the database", runDoctor},
		{"load", "load-test a running bcflow's webhook receiver: accepted/s and ack latency", runLoad},
		{"healthcheck", "exit 0 if URL answers 200 (for container health checks)", runHealthcheck},
		{"version", "print bcflow's version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &cliEnv{stdout: os.Stdout, stderr: os.Stderr, terminal: term.IsTerminal(int(os.Stdout.Fd()))}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and maps its error to an exit code:
// 0 success, 2 usage or configuration problem, 1 anything else.
func run(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		printUsage(env.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		if err == nil {
			return 0
		}
		// "bcflow config: config: …" says config once: errors of the
		// package a command is named after start with its name.
		msg := strings.TrimPrefix(err.Error(), c.name+": ")
		fmt.Fprintf(env.stderr, "bcflow %s: %s\n", c.name, msg)
		if _, ok := errors.AsType[*usageError](err); ok {
			return 2
		}
		return 1
	}
	fmt.Fprintf(env.stderr, "bcflow: unknown command %q (run `bcflow help`)\n", args[0])
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `bcflow turns BigCommerce store events into durable marketing automation on Temporal.

Usage: bcflow <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Configuration comes from the environment (run 'bcflow config' to see it);
each command's flags: bcflow <command> -h.
Start here: go run ./cmd/bcflow dev
`)
}
