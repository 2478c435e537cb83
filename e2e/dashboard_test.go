package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"go.temporal.io/api/enums/v1"

	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

const (
	chromiumPath   = "/usr/bin/chromium"
	dashboardToken = "e2e-dashboard-token"
	demoStore      = "demo14"
)

// TestDashboard drives the dashboard in headless Chromium against a stack
// with a store seeded by store.SeedAnalytics and, on the emulated store, a
// cart recovered by a real reminder and a shopper whose SMS step was
// skipped: it signs in, opens every page of both stores (and a channel),
// and checks that every number the page shows (each data-testid in main)
// is the admin API's, formatted as the page formats it; that the customer
// page explains the skipped step; that the browser logged no console error
// and threw nothing. Screenshots go to BCFLOW_ARTIFACTS_DIR (or a temporary
// folder, logged). The first load of the overview (navigation timing,
// transfer size) is measured and logged, not asserted.
func TestDashboard(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing in CI (.ci/run installs Debian's chromium): %v", chromiumPath, err)
		}
		t.Skipf("%s is missing (apt-get install chromium): the dashboard's browser test needs it; CI fails instead", chromiumPath)
	}
	artifacts := os.Getenv("BCFLOW_ARTIFACTS_DIR")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	artifacts = filepath.Join(artifacts, "dashboard")
	if err := os.RemoveAll(artifacts); err != nil { // this test's own folder: no stale screenshots
		t.Fatal(err)
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", artifacts)

	s := newStack(t, stackOptions{flowsYAML: defaultFlowsInSeconds(t)})
	ctx := context.Background()
	if err := store.SeedAnalytics(ctx, s.store, store.SeedSpec{StoreHash: demoStore, Customers: 300, Orders: 900, Decisions: 1500, Days: 120, Seed: 14}); err != nil {
		t.Fatal(err)
	}
	recovered, skipped := s.dashboardShoppers(t)
	base := s.dashboardServer(t, []string{s.hash, demoStore})
	apiGet := dashboardAPI(t, base)

	b := newBrowser(t, artifacts)
	b.do(chromedp.Navigate(base+"/app/"), chromedp.WaitVisible(chromedp.ID("signin-token")))
	b.shot("00-signin")
	b.do(chromedp.SendKeys(chromedp.ID("signin-token"), "wrong-token"), chromedp.Click(chromedp.CSS("#signin-form button")))
	b.waitText("#signin-error", "That token is not the admin token.")
	b.expectRefusal(401) // the refused sign-in, which the browser logs
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('signin-token').value = ''`),
		chromedp.SendKeys(chromedp.ID("signin-token"), dashboardToken), chromedp.Click(chromedp.CSS("#signin-form button")))
	b.waitPage("overview")
	b.checkSessionCookie(base)

	// Every page of the seeded store, whole store, then channel 1 on the
	// overview and flows.
	b.pick("pick-store", demoStore)
	for _, page := range []string{"overview", "flows", "loyalty", "segments"} {
		b.open(page, "")
		b.compare(page, expectedPage(t, apiGet, b.period(), demoStore, page, ""))
		b.shot(demoStore + "-" + page)
	}
	b.open("sync", "")
	b.waitText("#main p", "No sync has run for this store.")
	b.pick("pick-channel", "1")
	for _, page := range []string{"overview", "flows"} {
		b.open(page, "")
		b.compare(page+" channel 1", expectedPage(t, apiGet, b.period(), demoStore, page, ""))
		b.shot(demoStore + "-channel-1-" + page)
	}
	b.pick("pick-channel", "0")
	b.pick("pick-period", "7")
	for _, page := range []string{"overview", "flows", "loyalty", "segments"} {
		b.open(page, "")
		b.compare(page+" last 7 days", expectedPage(t, apiGet, b.period(), demoStore, page, ""))
	}
	b.pick("pick-period", "30")
	seededCustomer := "seed-1@example.test"
	b.open("customer", seededCustomer)
	b.compare("seeded customer", expectedPage(t, apiGet, b.period(), demoStore, "customer", seededCustomer))

	// The emulated store: the real flows' figures and shoppers, and a sync
	// started from the page's session (a write: refused without the CSRF
	// header, accepted with it).
	b.pick("pick-store", s.hash)
	startSync := func(withCSRF bool) string {
		return b.eval(fmt.Sprintf(`fetch('/app/session').then(r => r.json()).then(s => fetch('/api/v1/stores/%s/sync', {
			method: 'POST', headers: Object.assign({'Content-Type': 'application/json'}, %t ? {'X-CSRF-Token': s.csrf} : {}),
			body: JSON.stringify({kind: 'historical', resources: ['customers']})})).then(r => String(r.status))`, s.hash, withCSRF))
	}
	if got := startSync(false); got != "403" {
		t.Errorf("a session write without the CSRF header: %s, want 403", got)
	}
	b.expectRefusal(403)
	if got := startSync(true); got != "200" && got != "202" {
		t.Fatalf("a session write with the CSRF header: %s, want 2xx", got)
	}
	eventually(t, "the customers sync completes", func() (bool, string) {
		runs := jlist(apiGet("/stores/"+s.hash+"/sync", period{})["runs"])
		for _, r := range runs {
			if jstr(dig(r, "kind")) == "historical" && jstr(dig(r, "status")) == "completed" {
				return true, ""
			}
		}
		return false, fmt.Sprint(runs)
	})
	for _, page := range []string{"overview", "flows", "loyalty", "segments", "sync"} {
		b.open(page, "")
		b.compare(s.hash+" "+page, expectedPage(t, apiGet, b.period(), s.hash, page, ""))
		b.shot(s.hash + "-" + page)
	}
	overview := apiGet(fmt.Sprintf("/stores/%s/analytics/overview", s.hash), b.period())
	if got := jstr(dig(overview, "flows", "recovered_revenue", "current")); got == "0.00" || got == "" {
		t.Errorf("the real recovered cart shows no recovered revenue: %v", dig(overview, "flows"))
	}
	b.open("customer", recovered)
	b.compare("recovered shopper", expectedPage(t, apiGet, b.period(), s.hash, "customer", recovered))
	b.shot(s.hash + "-customer-recovered")
	b.open("customer", skipped)
	b.compare("skipped shopper", expectedPage(t, apiGet, b.period(), s.hash, "customer", skipped))
	b.shot(s.hash + "-customer-skipped")
	rows := b.timelineRows()
	if !slices.ContainsFunc(rows, func(r [4]string) bool {
		return r[1] == "sms-nudge" && r[2] == workflows.DecisionSkipped && strings.Contains(r[3], "no SMS consent")
	}) {
		t.Errorf("the customer page does not explain the skipped SMS step: %q", rows)
	}

	// The customer search form, by keyboard.
	b.open("customer", "")
	b.do(chromedp.SendKeys(chromedp.ID("customer-q"), recovered+"\n"))
	b.waitPage("customer")
	if rows := b.timelineRows(); len(rows) == 0 {
		t.Error("searching the recovered shopper by the form shows no timeline")
	}

	// First load of the overview: a cold cache, signed in.
	b.pick("pick-store", demoStore)
	b.pick("pick-channel", "0")
	b.firstLoad(base)
	b.do(chromedp.EmulateViewport(1280, 860))
	b.pick("pick-period", "7") // the seeded history has a previous week to compare with
	b.open("overview", "")
	b.shotViewport("overview-laptop") // docs/dashboard.png
	b.pick("pick-period", "30")
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.open("flows", "")
	b.open("overview", "")
	b.compare("overview on a phone", expectedPage(t, apiGet, b.period(), demoStore, "overview", ""))
	b.shot("overview-phone")
	b.do(chromedp.EmulateViewport(1280, 860))

	// Sign out: the DELETE carries the CSRF token, and the API refuses the
	// page afterwards.
	b.do(chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("signin-token")))
	status := b.eval(`fetch('/api/v1/stores').then(r => String(r.status))`)
	if status != "401" {
		t.Errorf("after signing out the API answers %s, want 401", status)
	}
	b.expectRefusal(401)
	b.checkConsole()
}

// dashboardShoppers runs two real cart flows on the emulated store: one
// shopper checks out after the first reminder (a recovered cart), one with
// a phone but no SMS opt-in gets the emails and a skipped SMS step. It
// returns their emails once both flows ended.
func (s *stack) dashboardShoppers(t *testing.T) (recovered, skipped string) {
	t.Helper()
	recovered, skipped = "rita@example.com", "sam@example.com"
	var ids []string
	var carts []string
	for _, sh := range []struct{ email, phone string }{{recovered, ""}, {skipped, "(512) 555-0142"}} {
		cust, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Email: sh.email, FirstName: "Shopper", Phone: sh.phone})
		if err != nil {
			t.Fatal(err)
		}
		cart, err := s.bc.CreateCart(s.hash, bcemu.CartInput{CustomerID: cust.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.bc.AbandonCart(s.hash, cart.ID); err != nil {
			t.Fatal(err)
		}
		ids, carts = append(ids, workflows.CartRecoveryID(s.hash, cart.ID)), append(carts, cart.ID)
	}
	eventually(t, "the first reminder to "+recovered, func() (bool, string) {
		n := len(s.emailsTo(recovered))
		return n >= 1, fmt.Sprintf("%d emails", n)
	})
	if _, err := s.bc.Checkout(s.hash, carts[0], bcemu.CheckoutInput{}); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		eventually(t, id+" ends", func() (bool, string) {
			status, _ := s.describe(id)
			return status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, status.String()
		})
	}
	return recovered, skipped
}

// dashboardServer serves the admin API (bearer token or dashboard
// session) with the dashboard's routes over the stack's store, as
// cmd/bcflow mounts them, and returns its base URL.
func (s *stack) dashboardServer(t *testing.T, stores []string) string {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := api.New(api.Options{Logger: logger})
	admin := srv.Admin([]byte(dashboardToken))
	api.MountTimeline(admin, s.store, stores)
	api.MountSync(admin, api.SyncOptions{Control: starter.New(s.c, taskQueue), Runs: s.store, Stores: stores, Logger: logger})
	api.MountAnalytics(admin, api.AnalyticsOptions{Source: s.store, Flows: s.acts.Flows, Stores: stores, Logger: logger})
	api.MountCustomers(admin, api.CustomersOptions{Store: s.store, Stores: stores, Logger: logger})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, l); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + l.Addr().String()
}

// period is the page's period and channel, as its header shows them.
type period struct{ from, to, channel string }

// dashboardAPI returns a GET of the admin API with the bearer token:
// path under /api/v1, with the period's query; it fails the test unless
// the answer is 200 JSON.
func dashboardAPI(t *testing.T, base string) func(path string, p period) map[string]any {
	return func(path string, p period) map[string]any {
		t.Helper()
		q := url.Values{}
		if p.from != "" {
			q.Set("from", p.from)
			q.Set("to", p.to)
		}
		if p.channel != "" && p.channel != "all" {
			q.Set("channel", p.channel)
		}
		u := base + "/api/v1" + path
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+dashboardToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		dec := json.NewDecoder(resp.Body)
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %v %v", path, resp.StatusCode, err, out)
		}
		return out
	}
}

// browser is one headless Chromium tab with its console watched.
type browser struct {
	t        *testing.T
	ctx      context.Context
	dir      string
	shots    int
	mu       sync.Mutex
	console  []chromedp.ConsoleMessage
	refusals []int // HTTP statuses of the requests the test has refused on purpose (the browser logs each)
}

func newBrowser(t *testing.T, dir string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 860))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, dir: dir}
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no deadline
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	return b
}

// do runs actions with a deadline; a failure ends the test (after a
// screenshot of the moment).
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.failShot()
		b.t.Fatalf("browser: %v (console: %s)", err, b.consoleText())
	}
}

func (b *browser) eval(js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (b *browser) failShot() {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		p := filepath.Join(b.dir, "failure.png")
		_ = os.WriteFile(p, buf, 0o644)
		b.t.Logf("screenshot of the failure: %s", p)
	}
}

// waitPage waits until main has rendered page with its data.
func (b *browser) waitPage(page string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS(`main[data-page="`+page+`"][data-ready="true"]`)),
		// The charts draw on the next frames.
		chromedp.Evaluate[chromedp.Void](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise))
	if msg := b.eval(`Promise.resolve(document.getElementById('error').textContent)`); msg != "" {
		b.failShot()
		b.t.Fatalf("the %s page shows an error: %s", page, msg)
	}
}

func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.querySelector(%q).textContent === %q`, sel, want))); err != nil {
		b.failShot()
		b.t.Fatalf("waiting for %s to say %q: %v", sel, want, err)
	}
}

// open shows a page through its hash route (q: the customer search).
func (b *browser) open(page, q string) {
	b.t.Helper()
	hash := "#/" + page
	if q != "" {
		hash += "?q=" + url.QueryEscape(q)
	}
	// A different route first, so the wait cannot see the page before.
	// The same route again (a new store) gets no hashchange of its own.
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('main').dataset.page = 'leaving';
		if (location.hash === ` + strconv.Quote(hash) + `) window.dispatchEvent(new HashChangeEvent('hashchange'));
		else location.hash = ` + strconv.Quote(hash)))
	b.waitPage(page)
}

// pick chooses an option of a header picker, as a user does.
func (b *browser) pick(id, value string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q;
		if (s.value !== %q) throw new Error('no option ' + %q); s.dispatchEvent(new Event('change')); })()`, id, value, value, value)))
	page := b.eval(`Promise.resolve(document.getElementById('main').dataset.page)`)
	b.waitPage(page)
}

// period reads the period and channel the header shows.
func (b *browser) period() period {
	b.t.Helper()
	var p period
	for key, dst := range map[string]*string{"period-from": &p.from, "period-to": &p.to, "period-channel": &p.channel} {
		*dst = b.eval(fmt.Sprintf(`Promise.resolve(document.querySelector('[data-testid=%q]').textContent)`, key))
	}
	return p
}

// compare checks every data-testid in main against want, both ways.
func (b *browser) compare(what string, want map[string]string) {
	b.t.Helper()
	raw := b.eval(`Promise.resolve(JSON.stringify([...document.querySelectorAll('#main [data-testid]')].map(e => [e.dataset.testid, e.textContent])))`)
	var pairs [][2]string
	if err := json.Unmarshal([]byte(raw), &pairs); err != nil {
		b.t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range pairs {
		if _, dup := got[p[0]]; dup {
			b.t.Errorf("%s: data-testid %q appears twice", what, p[0])
		}
		got[p[0]] = p[1]
	}
	for _, k := range slices.Sorted(mapsKeys(want)) {
		if g, ok := got[k]; !ok {
			b.t.Errorf("%s: the page lacks %s (API: %q)", what, k, want[k])
		} else if g != want[k] {
			b.t.Errorf("%s: %s shows %q, the API says %q", what, k, g, want[k])
		}
	}
	for _, k := range slices.Sorted(mapsKeys(got)) {
		if _, ok := want[k]; !ok {
			b.t.Errorf("%s: the page shows %s = %q, which the test does not check", what, k, got[k])
		}
	}
	if len(want) == 0 {
		b.t.Errorf("%s: nothing to compare", what)
	}
	b.t.Logf("%s: %d figures equal the API's", what, len(want))
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// timelineRows reads the customer page's timeline: flow, step, decision,
// reason.
func (b *browser) timelineRows() [][4]string {
	b.t.Helper()
	raw := b.eval(`Promise.resolve(JSON.stringify([...document.querySelectorAll('table.timeline tbody tr')].map(tr =>
		['flow', 'step', 'decision', 'reason'].map(k => { const e = tr.querySelector('[data-testid$="-' + k + '"]'); return e ? e.textContent : ''; }))))`)
	var rows [][4]string
	if err := json.Unmarshal([]byte(raw), &rows); err != nil {
		b.t.Fatal(err)
	}
	return rows
}

// shot saves a screenshot of the whole page, after checking that the page
// as shown is accessible (checkAccessible).
func (b *browser) shot(name string) {
	b.t.Helper()
	b.checkAccessible(name)
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	b.save(name, buf, err)
}

// accessibilityProblems lists, as JSON, what the page shown breaks: a form
// control without an accessible name (label, aria-label, aria-labelledby;
// a button's text), a link or button the keyboard cannot reach, and text
// whose contrast with its background is under WCAG AA (4.5:1; 3:1 for large
// text). Charts draw on a canvas and are left out; their legends are text.
const accessibilityProblems = `(() => {
  const out = [];
  const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const named = el => (el.getAttribute('aria-label') || '').trim() || el.getAttribute('aria-labelledby') ||
    (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]')) || el.closest('label') ||
    (el.tagName === 'BUTTON' && el.textContent.trim());
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea, button')) {
    if (visible(el) && !named(el)) out.push('no accessible name: ' + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll('a[href], button, input, select')) {
    if (visible(el) && el.tabIndex < 0) out.push('not reachable by keyboard: ' + el.outerHTML.slice(0, 80));
  }
  const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0)) return c;
    }
    return [255, 255, 255];
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg, canvas') || !visible(el)) continue;
    const text = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!text) continue;
    const st = getComputedStyle(el);
    const fg = rgb(st.color), bg = background(el);
    const [a, b2] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b2 + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight, 10) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) out.push('contrast ' + ratio.toFixed(2) + ' < ' + need + ': "' + el.textContent.trim().slice(0, 40) + '"');
  }
  return JSON.stringify([...new Set(out)]);
})()`

// checkAccessible fails the test on the accessibility problems of the page
// shown (accessibilityProblems).
func (b *browser) checkAccessible(what string) {
	b.t.Helper()
	var problems []string
	if err := json.Unmarshal([]byte(b.eval(accessibilityProblems)), &problems); err != nil {
		b.t.Fatalf("%s: accessibility check: %v", what, err)
	}
	if len(problems) > 0 {
		b.t.Errorf("%s: accessibility:\n%s", what, strings.Join(problems, "\n"))
	}
}

func (b *browser) shotViewport(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	b.save(name, buf, err)
}

func (b *browser) save(name string, buf []byte, err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	b.shots++
	p := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.shots, name))
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// firstLoad opens the overview with an empty cache (signed in) and logs
// when it showed its figures and what it transferred.
func (b *browser) firstLoad(base string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.ClearBrowserCache, cdp.Empty{})
		return err
	}), chromedp.Navigate(base+"/app/?first-load#/overview")); err != nil {
		b.t.Fatal(err)
	}
	b.waitPage("overview")
	raw := b.eval(`Promise.resolve(JSON.stringify((() => {
		const nav = performance.getEntriesByType('navigation')[0];
		const res = performance.getEntriesByType('resource');
		const sum = (es, f) => es.reduce((n, e) => n + f(e), 0);
		const api = res.filter(e => e.name.includes('/api/v1/') || e.name.includes('/app/session'));
		const files = res.filter(e => !api.includes(e));
		return {
			ready: performance.getEntriesByName('bcflow-ready')[0].startTime,
			dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
			files: files.length + 1, filesBytes: nav.transferSize + sum(files, e => e.transferSize),
			filesDecoded: nav.decodedBodySize + sum(files, e => e.decodedBodySize),
			api: api.length, apiBytes: sum(api, e => e.transferSize),
		};
	})()))`)
	var m struct {
		Ready, DCL, Load                   float64
		Files, API                         int
		FilesBytes, FilesDecoded, APIBytes float64
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		b.t.Fatal(err)
	}
	if m.FilesBytes == 0 {
		b.t.Errorf("the first load transferred nothing: the cache was not cold (%s)", raw)
	}
	b.t.Logf("first load of the overview (cold cache, loopback): figures shown after %.0f ms (DOMContentLoaded %.0f ms, load %.0f ms); "+
		"%d files, %.1f KiB transferred (%.1f KiB uncompressed) + %d API calls, %.1f KiB",
		m.Ready, m.DCL, m.Load, m.Files, m.FilesBytes/1024, m.FilesDecoded/1024, m.API, m.APIBytes/1024)
}

// checkSessionCookie checks the session cookie as the browser keeps it:
// HttpOnly, SameSite=Strict, path /, not Secure on plain loopback http
// (api/session.go says why), and unreadable by the page's scripts.
func (b *browser) checkSessionCookie(base string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/app/"}})
	if err != nil {
		b.t.Fatal(err)
	}
	var found bool
	for _, c := range res.Cookies {
		if c.Name != api.SessionCookie {
			continue
		}
		found = true
		if !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict || c.Path != "/" || c.Secure {
			b.t.Errorf("session cookie flags: httpOnly %v sameSite %q path %q secure %v", c.HTTPOnly, c.SameSite, c.Path, c.Secure)
		}
	}
	if !found {
		b.t.Errorf("the browser kept no %s cookie: %v", api.SessionCookie, res.Cookies)
	}
	if got := b.eval(`Promise.resolve(document.cookie)`); strings.Contains(got, api.SessionCookie) {
		b.t.Errorf("the page's scripts can read the session cookie: %q", got)
	}
}

// expectRefusal notes a request the test makes to be refused with status:
// the console error the browser logs for it is expected.
func (b *browser) expectRefusal(status int) { b.refusals = append(b.refusals, status) }

func (b *browser) consoleText() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.console {
		out = append(out, m.String()+" ("+m.URL+")")
	}
	return strings.Join(out, "; ")
}

// checkConsole fails on any console error or uncaught exception beyond the
// refused requests the test made on purpose.
func (b *browser) checkConsole() {
	b.t.Helper()
	time.Sleep(200 * time.Millisecond) // let the last events arrive
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []string
	pending := slices.Clone(b.refusals)
	for _, m := range b.console {
		switch {
		case m.IsException():
			errs = append(errs, m.String()+" at "+m.URL)
		case m.Type == chromedp.ConsoleError:
			if i := slices.IndexFunc(pending, func(st int) bool {
				return m.Source == "network" && strings.Contains(m.Text, fmt.Sprintf("status of %d", st))
			}); i >= 0 {
				pending = slices.Delete(pending, i, i+1)
				continue
			}
			errs = append(errs, m.String()+" at "+m.URL)
		case m.Type == chromedp.ConsoleWarning:
			b.t.Logf("console warning: %s", m.String())
		}
	}
	if len(errs) > 0 {
		b.t.Errorf("%d console errors: %s", len(errs), strings.Join(errs, "\n"))
	}
	if len(pending) > 0 {
		b.t.Errorf("refusals %v were not logged: %s", pending, b.consoleText())
	}
}
