package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/starter"
)

// adminClient calls the admin API of a running bcflow, as `bcflow redrive`,
// `bcflow sync` and `bcflow segments` do.
type adminClient struct {
	base  string
	token string
}

// newAdminClient reads the admin token from cfg (BCFLOW_ADMIN_TOKEN is
// required) and calls base, or http://BCFLOW_HTTP_ADDR when base is empty.
func newAdminClient(cfg *config.Config, base string) (*adminClient, error) {
	if !cfg.AdminToken.IsSet() {
		return nil, usagef("config: BCFLOW_ADMIN_TOKEN is required to call the admin API")
	}
	if base == "" {
		base = "http://" + cfg.HTTPAddr
	}
	return &adminClient{base: strings.TrimRight(base, "/"), token: cfg.AdminToken.Reveal()}, nil
}

// adminError is an admin API answer other than 2xx.
type adminError struct {
	Method, Path string
	Status       int
	// Code and Message are the API's error body, when it sent one.
	Code, Message string
}

func (e *adminError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("%s %s: status %d", e.Method, e.Path, e.Status)
}

// do sends method path with body as JSON (nil: no body) and decodes a 2xx
// answer into out (nil: ignored). Any other answer is an *adminError; a
// malformed base URL is a usage error.
func (a *adminClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: encode body: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return usagef("bad -url %q: %v", a.base, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &adminError{Method: method, Path: path, Status: resp.StatusCode}
		var eb struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(raw, &eb) == nil {
			e.Code, e.Message = eb.Error.Code, eb.Error.Message
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: unexpected answer: %w", method, path, err)
		}
	}
	return nil
}

// get calls GET path into out, bounded by syncCallTimeout so a stalled
// server cannot hang a watch.
func (a *adminClient) get(ctx context.Context, path string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, syncCallTimeout)
	defer cancel()
	return a.do(ctx, http.MethodGet, path, nil, out)
}

// start POSTs body to path (bounded by syncCallTimeout) to start a
// workflow and prints which one started; a 409 answer (one is already
// running) is the error conflict.
func (a *adminClient) start(ctx context.Context, out io.Writer, path string, body any, conflict error) error {
	var started api.SyncStarted
	ctx, cancel := context.WithTimeout(ctx, syncCallTimeout)
	defer cancel()
	err := a.do(ctx, http.MethodPost, path, body, &started)
	if ae, ok := errors.AsType[*adminError](err); ok && ae.Status == http.StatusConflict {
		return conflict
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "started %s (run %s)\n", started.WorkflowID, started.RunID)
	return nil
}

// parseActionFlags parses the args of a command that takes an action and
// flags (`bcflow sync historical -store X`; flags before the action work
// too). A bad flag or a stray argument is one usage line (exit 2), not the
// flag package's error plus the whole usage; -h prints the usage and
// returns help.
func parseActionFlags(env *cliEnv, fs *flag.FlagSet, args []string) (action string, help bool, err error) {
	printUsage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		action, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(env.stderr)
			printUsage()
			return "", true, nil
		}
		return "", false, usagef("%v (see %s -h)", err, fs.Name())
	}
	rest := fs.Args()
	if action == "" && len(rest) > 0 {
		action, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return "", false, usagef("unexpected argument %q (see %s -h)", rest[0], fs.Name())
	}
	return action, false, nil
}

// storeAdmin reads the configuration and returns the store hash of -store
// (storeFlag; BCFLOW_BC_STORE_HASH when empty), checked, and the client of
// the admin API at base (-url). Every problem is a usage error.
func storeAdmin(storeFlag, base string) (storeHash string, admin *adminClient, err error) {
	cfg, err := loadConfig(config.ModeTool)
	if err != nil {
		return "", nil, err
	}
	storeHash = storeFlag
	if storeHash == "" {
		storeHash = cfg.BigCommerce.StoreHash
	}
	if storeHash == "" {
		return "", nil, usagef("-store or BCFLOW_BC_STORE_HASH is required")
	}
	if err := starter.CheckStoreHash(storeHash); err != nil {
		return "", nil, usagef("-store: %s", strings.TrimPrefix(err.Error(), "store_hash: "))
	}
	admin, err = newAdminClient(cfg, base)
	if err != nil {
		return "", nil, err
	}
	return storeHash, admin, nil
}

// terminalWidth is the width of out when it is a terminal, 0 otherwise or
// when it cannot be told.
func terminalWidth(out io.Writer, terminal bool) int {
	if f, ok := out.(*os.File); ok && terminal {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil {
			return cols
		}
	}
	return 0
}

// apiOutage is how long the admin API has not answered a watch's polls.
type apiOutage struct {
	since time.Time
}

// failed records that a poll at now failed with err and returns the error
// to stop watching with: err itself for a 4xx answer (the request is wrong;
// polling again will not help), or a give-up error once the API has not
// answered for syncGiveUp (what, the sync or the recompute, goes on); nil
// to poll again.
func (o *apiOutage) failed(err error, now time.Time, what string) error {
	if ae, ok := errors.AsType[*adminError](err); ok && ae.Status >= 400 && ae.Status < 500 {
		return err
	}
	if o.since.IsZero() {
		o.since = now
	}
	if now.Sub(o.since) > syncGiveUp {
		return fmt.Errorf("the admin API has not answered for %s, stopped watching (the %s goes on): %w", syncGiveUp, what, err)
	}
	return nil
}

// answered records that a poll was answered.
func (o *apiOutage) answered() { o.since = time.Time{} }
