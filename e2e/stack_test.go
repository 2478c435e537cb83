package e2e

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/emulator"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/hooks"
	"github.com/bcflow/bcflow/messaging/brevo"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/worker"
)

const (
	taskQueue     = "bcflow-e2e"
	webhookSecret = "e2e-webhook-secret"
	brevoSecret   = "e2e-brevo-secret"
)

// stack is bcflow wired as in production, against a real Temporal server
// and the BigCommerce + Brevo emulator: the emulator delivers real webhooks
// over HTTP to bcflow's API, the starter talks to Temporal, the worker runs
// the workflows and its activities call the emulator.
type stack struct {
	t       testing.TB
	c       client.Client
	emu     *emulator.Emulator
	bc      *bcemu.Emulator
	brevo   *brevoemu.Emulator
	store   *store.Store
	hash    string
	apiURL  string
	disp    *switchableDispatcher
	acts    *activities.Activities
	stopped bool
	// emuURL is the emulator's base URL; proxy, with stackOptions.faults,
	// stands between the clients and it.
	emuURL string
	proxy  *faultProxy
}

// switchableDispatcher lets a test point the receiver at an unreachable
// Temporal and back, to exercise the 503 path with a real client.
type switchableDispatcher struct {
	mu  sync.Mutex
	cur api.Dispatcher
}

func (s *switchableDispatcher) get() api.Dispatcher {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}
func (s *switchableDispatcher) set(d api.Dispatcher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = d
}
func (s *switchableDispatcher) Supports(scope string) bool { return s.get().Supports(scope) }
func (s *switchableDispatcher) Dispatch(ctx context.Context, ev starter.Event) (starter.Result, error) {
	return s.get().Dispatch(ctx, ev)
}
func (s *switchableDispatcher) Unsubscribe(ctx context.Context, email, reason string) (int, error) {
	return s.get().Unsubscribe(ctx, email, reason)
}

type stackOptions struct {
	flowsYAML  string
	retryScale float64
	// temporal, when set, is the Temporal client to use instead of a fresh
	// in-process test server (the fault suite's restartable dev server).
	temporal client.Client
	// databaseURL, when set, is the store instead of a fresh SQLite file.
	databaseURL string
	// noWorker leaves the worker to the test (a `bcflow worker` process).
	noWorker bool
	// faults puts a faultProxy between the clients and the emulator and
	// gives the clients short retries, so an outage outlasts them in
	// seconds and Temporal's activity retries take over.
	faults bool
}

func newStack(t testing.TB, o stackOptions) *stack {
	t.Helper()
	ctx := context.Background()
	c := o.temporal
	if c == nil {
		_, c = newTemporal(t)
	}
	var st *store.Store
	if o.databaseURL == "" {
		st = openSQLite(t)
	} else {
		st = openStore(t, o.databaseURL)
	}

	if o.retryScale == 0 {
		o.retryScale = 0.001
	}
	// The store is on the Pro plan (450 requests per 30 s): the suite's
	// bursts (5 000 signals in seconds) read the store faster than the
	// Standard plan's 120 requests a window bcflow allows itself would
	// serve; the sync tests set their own quota.
	emu, err := emulator.New(emulator.Options{BigCommerce: bcemu.Options{RetryScale: o.retryScale, RateLimitQuota: 450}})
	if err != nil {
		t.Fatal(err)
	}
	base, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Shutdown(context.Background()) })
	info := emu.BigCommerce().Stores()[0]

	flows := config.DefaultFlows()
	if o.flowsYAML != "" {
		if flows, err = config.ParseFlows("e2e-flows.yaml", []byte(o.flowsYAML)); err != nil {
			t.Fatal(err)
		}
	}
	bcOpts := bigcommerce.Options{BaseURL: base, StoreHash: info.Hash, AccessToken: info.AccessToken}
	brevoOpts := brevo.Options{BaseURL: base + "/v3", APIKey: emu.Brevo().APIKeys()[0]}
	var proxy *faultProxy
	if o.faults {
		proxy = newFaultProxy(t, base)
		bcOpts.BaseURL, brevoOpts.BaseURL = proxy.url, proxy.url+"/v3"
		bcOpts.MaxRetries, bcOpts.AttemptTimeout, bcOpts.BackoffBase, bcOpts.BackoffMax = faultClientRetries, faultAttemptTimeout, 20*time.Millisecond, 50*time.Millisecond
		brevoOpts.MaxAttempts, brevoOpts.BaseBackoff, brevoOpts.MaxBackoff = faultClientRetries+1, 20*time.Millisecond, 50*time.Millisecond
		brevoOpts.HTTPClient = &http.Client{Timeout: faultAttemptTimeout}
	}
	bcClient, err := bigcommerce.New(bcOpts)
	if err != nil {
		t.Fatal(err)
	}
	provider, err := brevo.New(brevoOpts)
	if err != nil {
		t.Fatal(err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	apiURL := "http://" + l.Addr().String()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := api.New(api.Options{Logger: logger})
	disp := &switchableDispatcher{cur: starter.New(c, taskQueue)}
	srv.MountWebhooks(api.WebhookOptions{
		Secret: []byte(webhookSecret), Stores: map[string]api.StoreAuth{info.Hash: {ClientSecret: []byte(info.ClientSecret)}},
		BrevoSecret: []byte(brevoSecret), Deliveries: st, Events: st, Dispatcher: disp, Logger: logger,
	})
	ctxSrv, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctxSrv, l); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	acts := &activities.Activities{
		Store: st, Flows: flows, BigCommerce: map[string]*bigcommerce.Client{info.Hash: bcClient}, Messaging: provider,
		Sender: activities.Sender{Email: "shop@example.com", Name: "E2E Store", SMSSender: "E2EStore"},
		Hooks:  hooks.Spec{Destination: apiURL + "/webhooks/bigcommerce", Headers: map[string]string{api.WebhookSecretHeader: webhookSecret}},
	}
	for _, r := range starter.Routes() {
		acts.Hooks.Scopes = append(acts.Hooks.Scopes, r.Scope)
	}
	if _, err := hooks.Sync(ctx, bcClient, acts.Hooks); err != nil {
		t.Fatal(err)
	}
	if err := emu.Brevo().SetWebhook(&brevoemu.WebhookConfig{URL: apiURL + "/webhooks/brevo", BearerToken: brevoSecret}); err != nil {
		t.Fatal(err)
	}
	worker.EnableSegments(acts, logger)
	if !o.noWorker {
		w := worker.New(c, taskQueue, acts, worker.Options{})
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}
	return &stack{t: t, c: c, emu: emu, bc: emu.BigCommerce(), brevo: emu.Brevo(), store: st, hash: info.Hash, apiURL: apiURL, disp: disp, acts: acts,
		emuURL: base, proxy: proxy}
}

// eventually polls cond until it holds or 30 s pass.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	eventuallyWithin(t, 30*time.Second, what, cond)
}

// eventuallyWithin polls cond until it holds or limit passes: for waits
// that include a Temporal retry or timeout by design.
func eventuallyWithin(t *testing.T, limit time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %s", what, detail)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// describe returns a workflow's status, or UNSPECIFIED when it does not exist.
func (s *stack) describe(id string) (enums.WorkflowExecutionStatus, map[string]string) {
	resp, err := s.c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		return enums.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, nil
	}
	attrs := map[string]string{}
	for k, p := range resp.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields() {
		attrs[k] = strings.Trim(string(p.GetData()), `"`)
	}
	return resp.GetWorkflowExecutionInfo().GetStatus(), attrs
}

// signalCount counts the signals a workflow's current run received, by
// name; -1 when the workflow does not exist (yet).
func (s *stack) signalCount(id, name string) int {
	it := s.c.GetWorkflowHistory(context.Background(), id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return -1
		}
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil && a.GetSignalName() == name {
			n++
		}
	}
	return n
}

// deliveredOK counts the emulator's successful deliveries of a scope.
func (s *stack) deliveredOK(scope string) int {
	ds, err := s.bc.Deliveries(s.hash)
	if err != nil {
		s.t.Fatal(err)
	}
	n := 0
	for _, d := range ds {
		if d.Scope == scope && d.Outcome == "delivered" {
			n++
		}
	}
	return n
}
