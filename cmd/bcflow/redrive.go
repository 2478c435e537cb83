package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/starter"
)

// redrivePath is the admin API route runRedrive calls.
const redrivePath = "/api/v1/flows/redrive"

// runRedrive asks a running bcflow API to start failed flows again.
func runRedrive(ctx context.Context, env *cliEnv, args []string) error {
	usage := "redrive [-store HASH] [-flow NAME] [-workflow-id ID] [-limit N] [-dry-run] [-url URL]\n\n" +
		"Starts the flows whose last run failed, was terminated or timed out again, with the same id and input,\n" +
		"through the admin API (POST " + redrivePath + ", bearer BCFLOW_ADMIN_TOKEN) of the bcflow at\n" +
		"BCFLOW_HTTP_ADDR. A flow whose latest run is open or completed is left alone."
	fs := newFlags(env, "redrive", usage)
	var req starter.RedriveRequest
	fs.StringVar(&req.StoreHash, "store", "", "only flows of this store hash")
	fs.StringVar(&req.Flow, "flow", "", "only this flow (cart-recovery, order-lifecycle, contact-sync, ...)")
	fs.StringVar(&req.WorkflowID, "workflow-id", "", "only this workflow id")
	fs.IntVar(&req.Limit, "limit", 0, fmt.Sprintf("at most this many workflows (default %d, max %d)", starter.RedriveDefaultLimit, starter.RedriveMaxLimit))
	fs.BoolVar(&req.DryRun, "dry-run", false, "list what would be re-driven; start nothing")
	base := fs.String("url", "", "base URL of the bcflow API (default http://BCFLOW_HTTP_ADDR)")
	// A bad flag is one line (exit 2), not the flag package's error plus
	// the whole usage; -h still prints the usage.
	printUsage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(env.stderr)
			printUsage()
			return nil
		}
		return usagef("%v (see bcflow redrive -h)", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (see bcflow redrive -h)", fs.Arg(0))
	}
	if err := req.Check(); err != nil {
		return usagef("-%s", strings.Replace(err.Error(), "workflow_id", "workflow-id", 1))
	}
	cfg, err := loadConfig(config.ModeTool)
	if err != nil {
		return err
	}
	admin, err := newAdminClient(cfg, *base)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var rep starter.RedriveReport
	if err := admin.do(ctx, http.MethodPost, redrivePath, req, &rep); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKFLOW ID\tTYPE\tSTATUS\tFAILED RUN\tNEW RUN")
	started := 0
	for _, r := range rep.Redriven {
		next := r.NewRunID
		switch {
		case rep.DryRun:
			next = "(dry run)"
		case r.Skipped != "":
			next = "skipped: " + r.Skipped
		default:
			started++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.WorkflowID, r.WorkflowType, r.Status, r.FailedRunID, next)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if rep.DryRun {
		fmt.Fprintf(env.stdout, "%d workflow(s) would be re-driven (dry run)\n", len(rep.Redriven))
	} else {
		fmt.Fprintf(env.stdout, "%d workflow(s) re-driven, %d skipped\n", started, len(rep.Redriven)-started)
	}
	return nil
}
