package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/segments"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
)

// segmentsPath is the admin API route of a store's segments.
func segmentsPath(storeHash string) string {
	return "/api/v1/stores/" + url.PathEscape(storeHash) + "/segments"
}

// segmentsFlags are `bcflow segments`'s flags.
type segmentsFlags struct {
	store, segment, email, after, url string
	customerID                        int64
	limit                             int
	all, noWait, watch                bool
	interval                          time.Duration
}

// runSegments lists segments, their members and a customer's segments, and
// starts and watches full recomputes, through the admin API.
func runSegments(ctx context.Context, env *cliEnv, args []string) error {
	usage := "segments list|members|customer|recompute|status [-store HASH] [-segment NAME] [-email E] [-customer-id N] [-after EMAIL] [-limit N] [-all] [-no-wait] [-watch] [-interval D] [-url URL]\n\n" +
		"Customer segments through the admin API (/api/v1/stores/{store}/segments, bearer BCFLOW_ADMIN_TOKEN) of the bcflow\n" +
		"at BCFLOW_HTTP_ADDR, for BCFLOW_BC_STORE_HASH unless -store.\n\n" +
		"  list       every segment: size, entered and left in the last 7 days, pushes pending, BigCommerce segment, Brevo list\n" +
		"  members    the current members of -segment, by email (-limit a page, -after the next one, -all every page)\n" +
		"  customer   the segments of -email or -customer-id (through the mirror), every stint, newest first\n" +
		"  recompute  evaluates every segment (or -segment) for every shopper again, and watches it with a progress bar\n" +
		"  status     prints the latest recompute (-watch: follows a running one until it finishes)\n\n" +
		"Exit code: 0 on success (recompute: it completed), 1 when a recompute failed or the API refused, 2 on usage errors."
	fs := newFlags(env, "segments", usage)
	var f segmentsFlags
	fs.StringVar(&f.store, "store", "", "store hash (default BCFLOW_BC_STORE_HASH)")
	fs.StringVar(&f.segment, "segment", "", "members: the segment (required); recompute: only this segment (default all)")
	fs.StringVar(&f.email, "email", "", "customer: the shopper's email")
	fs.Int64Var(&f.customerID, "customer-id", 0, "customer: the BigCommerce customer id (resolved to its email through the mirror)")
	fs.StringVar(&f.after, "after", "", "members: start after this email (the next of the previous page)")
	fs.IntVar(&f.limit, "limit", 100, "members: page size, 1 to 1000")
	fs.BoolVar(&f.all, "all", false, "members: every page, not only the first")
	fs.BoolVar(&f.noWait, "no-wait", false, "recompute: start it and return without watching")
	fs.BoolVar(&f.watch, "watch", false, "status: follow a running recompute until it finishes")
	fs.DurationVar(&f.interval, "interval", time.Second, "recompute and status -watch: how often to poll the progress")
	fs.StringVar(&f.url, "url", "", "base URL of the bcflow API (default http://BCFLOW_HTTP_ADDR)")
	action, help, err := parseActionFlags(env, fs, args)
	if help || err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if err := f.check(action, set); err != nil {
		return err
	}
	storeHash, admin, err := storeAdmin(f.store, f.url)
	if err != nil {
		return err
	}
	f.store = storeHash
	v := segmentsView{admin: admin, out: env.stdout, terminal: env.terminal, interval: f.interval, store: f.store}
	switch action {
	case "list":
		return v.list(ctx)
	case "members":
		return v.members(ctx, f.segment, f.after, f.limit, f.all)
	case "customer":
		return v.customer(ctx, f.email, f.customerID)
	case "status":
		if f.watch {
			return v.watch(ctx, true)
		}
		return v.status(ctx)
	}
	return v.recompute(ctx, f.segment, f.noWait)
}

// segmentsFlagsOf are the flags each action takes (besides -store and
// -url, which they all take).
var segmentsFlagsOf = map[string][]string{
	"list":      nil,
	"members":   {"segment", "after", "limit", "all"},
	"customer":  {"email", "customer-id"},
	"recompute": {"segment", "no-wait", "interval"},
	"status":    {"watch", "interval"},
}

// check validates the action, which flags go with it and their values;
// errors are usage errors.
func (f *segmentsFlags) check(action string, set map[string]bool) error {
	allowed, ok := segmentsFlagsOf[action]
	switch {
	case action == "":
		return usagef("want `bcflow segments list|members|customer|recompute|status` (see bcflow segments -h)")
	case !ok:
		return usagef("unknown action %q: want list, members, customer, recompute or status (see bcflow segments -h)", action)
	}
	for name := range set {
		if name != "store" && name != "url" && !strings.Contains(" "+strings.Join(allowed, " ")+" ", " "+name+" ") {
			return usagef("-%s does not go with %s (see bcflow segments -h)", name, action)
		}
	}
	if f.segment != "" || (set["segment"] && action != "recompute") {
		if err := starter.CheckSegmentName(f.segment); err != nil {
			return usagef("-segment %s", strings.TrimPrefix(err.Error(), "segment: "))
		}
	}
	switch action {
	case "members":
		if f.segment == "" {
			return usagef("members needs -segment NAME (see `bcflow segments list`)")
		}
		if f.limit < 1 || f.limit > 1000 {
			return usagef("-limit must be 1 to 1000")
		}
	case "customer":
		if set["email"] == set["customer-id"] {
			return usagef("customer needs exactly one of -email and -customer-id")
		}
		if set["email"] {
			if _, err := starter.ParseEmail("email", f.email); err != nil {
				return usagef("-email must be an email address")
			}
		}
		if set["customer-id"] && f.customerID <= 0 {
			return usagef("-customer-id must be a positive BigCommerce customer id")
		}
	}
	if f.interval < 10*time.Millisecond {
		return usagef("-interval must be at least 10ms")
	}
	return nil
}

// segmentsView shows a store's segments from the admin API.
type segmentsView struct {
	admin    *adminClient
	out      io.Writer
	terminal bool
	interval time.Duration
	store    string
}

// list prints every segment of the store.
func (v *segmentsView) list(ctx context.Context) error {
	var sv api.SegmentsView
	if err := v.admin.get(ctx, segmentsPath(v.store), &sv); err != nil {
		return err
	}
	for _, l := range segmentsTable(sv) {
		fmt.Fprintln(v.out, l)
	}
	return nil
}

// segmentsTable is `bcflow segments list`'s output: the settings line, then
// one row per segment.
func segmentsTable(sv api.SegmentsView) []string {
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	head := fmt.Sprintf("segments of %s: %s; push to BigCommerce %s, to Brevo %s", sv.Store, onOff(sv.Enabled), onOff(sv.PushToBigCommerce), onOff(sv.PushToBrevo))
	if sv.BigCommerceUnavailable != nil && *sv.BigCommerceUnavailable {
		head += " (the store's plan has no Customer Segmentation API: nothing goes to BigCommerce)"
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTITLE\tSIZE\tENTERED 7D\tLEFT 7D\tPENDING BC/BREVO/FLOWS\tBIGCOMMERCE SEGMENT\tBREVO LIST")
	for _, s := range sv.Segments {
		name := s.Name
		if !s.Defined {
			name += " (removed)"
		} else if s.TimeBased {
			name += " (daily)"
		}
		bc, brevo := orDash(s.BigCommerceSegmentID), orDash(s.BrevoList)
		if s.BrevoListID != 0 {
			brevo = fmt.Sprintf("%s (#%d)", s.BrevoList, s.BrevoListID)
		}
		left := groupDigits(int64(s.LeftLast7Days))
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s/%s/%s\t%s\t%s\n", name, s.Title, groupDigits(int64(s.Size)), groupDigits(int64(s.EnteredLast7Days)),
			left, groupDigits(int64(s.Pending["bigcommerce"])), groupDigits(int64(s.Pending["brevo"])),
			groupDigits(int64(s.Pending["flows"])), bc, brevo)
	}
	_ = tw.Flush()
	lines := []string{head}
	for l := range strings.SplitSeq(strings.TrimRight(b.String(), "\n"), "\n") {
		lines = append(lines, strings.TrimRight(l, " "))
	}
	if len(sv.Segments) == 0 {
		lines = append(lines[:1], "no segment is defined or has members")
	}
	return lines
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// members prints the current members of segment, a page from after (every
// page with all).
func (v *segmentsView) members(ctx context.Context, segment, after string, limit int, all bool) error {
	tw := tabwriter.NewWriter(v.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tCUSTOMER ID\tENTERED")
	n := 0
	for {
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if after != "" {
			q.Set("after", after)
		}
		var page api.SegmentMembersView
		if err := v.admin.get(ctx, segmentsPath(v.store)+"/"+url.PathEscape(segment)+"/members?"+q.Encode(), &page); err != nil {
			return err
		}
		for _, m := range page.Members {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Email, customerText(m.CustomerID), m.EnteredAt.UTC().Format(time.RFC3339))
		}
		n += len(page.Members)
		if page.Next == "" {
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(v.out, "%s member(s) of %s\n", groupDigits(int64(n)), segment)
			return nil
		}
		if !all {
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(v.out, "%s member(s) shown; next page: bcflow segments members -store %s -segment %s -after %s\n", groupDigits(int64(n)), v.store, segment, page.Next)
			return nil
		}
		after = page.Next
	}
}

// customerText is a customer id, "guest" for 0.
func customerText(id int64) string {
	if id == 0 {
		return "guest"
	}
	return strconv.FormatInt(id, 10)
}

// customer prints the segments of a shopper, by email or customer id.
func (v *segmentsView) customer(ctx context.Context, email string, customerID int64) error {
	q := url.Values{}
	if email != "" {
		q.Set("email", email)
	} else {
		q.Set("customer_id", strconv.FormatInt(customerID, 10))
	}
	var sv api.ShopperSegmentsView
	if err := v.admin.get(ctx, "/api/v1/stores/"+url.PathEscape(v.store)+"/customers/segments?"+q.Encode(), &sv); err != nil {
		return err
	}
	who := sv.Email
	if sv.CustomerID != 0 {
		who = fmt.Sprintf("customer %d (%s)", sv.CustomerID, sv.Email)
	}
	if len(sv.Segments) == 0 {
		fmt.Fprintf(v.out, "%s has never been in a segment\n", who)
		return nil
	}
	fmt.Fprintf(v.out, "%s is in %d segment(s) now: %s\n", who, len(sv.Current), orDash(strings.Join(sv.Current, ", ")))
	tw := tabwriter.NewWriter(v.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEGMENT\tENTERED\tLEFT")
	for _, s := range sv.Segments {
		left := "(member)"
		if !s.Current {
			left = s.LeftAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Segment, s.EnteredAt.UTC().Format(time.RFC3339), left)
	}
	return tw.Flush()
}

// recompute starts a full recompute of segment ("" all) and watches it
// unless noWait.
func (v *segmentsView) recompute(ctx context.Context, segment string, noWait bool) error {
	conflict := fmt.Errorf("a segment recompute of %s is already running: watch it with `bcflow segments status -watch`", v.store)
	if err := v.admin.start(ctx, v.out, segmentsPath(v.store)+"/recompute", api.SegmentRecomputeRequest{Segment: segment}, conflict); err != nil {
		return err
	}
	if noWait {
		fmt.Fprintln(v.out, "watch it with `bcflow segments status -watch`")
		return nil
	}
	return v.watch(ctx, false)
}

// recomputeState reads the latest recompute; found is false when none ran.
func (v *segmentsView) recomputeState(ctx context.Context) (rv api.SegmentRecomputeView, found bool, err error) {
	err = v.admin.get(ctx, segmentsPath(v.store)+"/recompute", &rv)
	if ae, ok := errors.AsType[*adminError](err); ok && ae.Status == http.StatusNotFound && ae.Code == "no_recompute" {
		return rv, false, nil
	}
	return rv, err == nil, err
}

// status prints the latest recompute once.
func (v *segmentsView) status(ctx context.Context) error {
	rv, found, err := v.recomputeState(ctx)
	if err != nil {
		return err
	}
	if !found {
		fmt.Fprintf(v.out, "no segment recompute has run for store %s\n", v.store)
		return nil
	}
	for _, l := range recomputeFrame(rv, time.Now(), v.terminal) {
		fmt.Fprintln(v.out, strings.TrimRight(l, " "))
	}
	return nil
}

// watch follows the latest recompute until its workflow closes, redrawing
// in place on a terminal and printing a line per finished segment
// otherwise; nil when it completed. onlyRunning: a recompute that is not
// running is printed once instead (status -watch).
func (v *segmentsView) watch(ctx context.Context, onlyRunning bool) error {
	width := terminalWidth(v.out, v.terminal)
	stopped := errors.New("stopped watching; the recompute goes on")
	var plain recomputePlain
	drawn := 0
	var outage apiOutage
	tick := time.NewTicker(v.interval)
	defer tick.Stop()
	for first := true; ; first = false {
		rv, found, err := v.recomputeState(ctx)
		now := time.Now()
		switch {
		case ctx.Err() != nil:
			return stopped
		case err != nil:
			if err := outage.failed(err, now, "recompute"); err != nil {
				return err
			}
		case !found:
			return fmt.Errorf("no segment recompute of %s has run", v.store)
		case first && onlyRunning && !rv.Running():
			fmt.Fprintf(v.out, "no segment recompute of %s is running\n", v.store)
			return v.status(ctx)
		default:
			outage.answered()
			if v.terminal {
				drawn = redraw(v.out, drawn, recomputeFrame(rv, now, true), width)
			} else {
				var lines []string
				lines, plain = plain.update(rv, now)
				for _, l := range lines {
					fmt.Fprintln(v.out, l)
				}
			}
			if !rv.Running() {
				return recomputeOutcome(rv)
			}
		}
		select {
		case <-ctx.Done():
			return stopped
		case <-tick.C:
		}
	}
}

// recomputeOutcome is nil for a completed recompute and an error (exit 1)
// otherwise.
func recomputeOutcome(rv api.SegmentRecomputeView) error {
	if rv.Status == "Completed" {
		return nil
	}
	return fmt.Errorf("the segment recompute %s %s", rv.WorkflowID, strings.ToLower(rv.Status))
}

// recomputeFrame is the whole display of a recompute at now: one line per
// segment of the pass (bars when bars), then the status line with the
// pass's bar.
func recomputeFrame(rv api.SegmentRecomputeView, now time.Time, bars bool) []string {
	p := rv.Progress
	if p == nil {
		return []string{recomputeStatusLine(rv, now, bars)}
	}
	width := 0
	for _, s := range p.Segments {
		width = max(width, len(s.Segment))
	}
	lines := make([]string, 0, len(p.Segments)+1)
	for _, s := range p.Segments {
		lines = append(lines, segmentLine(s, width, bars))
	}
	return append(lines, recomputeStatusLine(rv, now, bars))
}

// segmentLine is one segment of a pass: done with its counts, or waiting.
func segmentLine(s api.SegmentProgressView, width int, bar bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s", width, s.Segment)
	pct := 0
	if s.Done {
		pct = 100
	}
	if bar {
		b.WriteString(" " + progressBar(pct, true))
	}
	if !s.Done {
		b.WriteString("  waiting")
		return b.String()
	}
	fmt.Fprintf(&b, "  done: %s evaluated, %s entered, %s left", groupDigits(int64(s.Evaluated)), groupDigits(int64(s.Entered)), groupDigits(int64(s.Left)))
	return b.String()
}

// recomputeStatusLine says what the recompute is doing: its status, for
// how long, the segments done (with a bar when bar).
func recomputeStatusLine(rv api.SegmentRecomputeView, now time.Time, bar bool) string {
	s := "segment recompute of " + strings.TrimPrefix(rv.WorkflowID, "segments-recompute/")
	if p := rv.Progress; p != nil && p.Segment != "" {
		s += " (" + p.Segment + ")"
	}
	status := strings.ToLower(rv.Status)
	s += ": " + status
	if !rv.StartTime.IsZero() {
		end := now
		if !rv.CloseTime.IsZero() {
			end = rv.CloseTime
		}
		took := formatDuration(max(end.Sub(rv.StartTime), 0))
		switch status {
		case "running":
			s += " for " + took
		case "completed":
			s += " in " + took
		default:
			s += " after " + took
		}
	}
	if p := rv.Progress; p != nil {
		pct := 100
		if p.Total > 0 {
			pct = p.Done * 100 / p.Total
		}
		s += fmt.Sprintf(", %d/%d segments", p.Done, p.Total)
		if bar {
			s += " " + progressBar(pct, true)
		}
		s += fmt.Sprintf(" %d%%", pct)
	} else if rv.Summary != "" {
		s += " (" + rv.Summary + ")"
	}
	return s
}

// recomputePlain is what the plain (not a terminal) display printed last.
type recomputePlain struct {
	status string
	done   map[string]bool
}

// update returns the lines the plain display prints for rv: each segment
// once, when it is done, and the status line when the status or the number
// of segments done changed.
func (st recomputePlain) update(rv api.SegmentRecomputeView, now time.Time) ([]string, recomputePlain) {
	next := recomputePlain{status: st.status, done: map[string]bool{}}
	for k, v := range st.done {
		next.done[k] = v
	}
	var lines []string
	key := rv.Status
	if p := rv.Progress; p != nil {
		key += fmt.Sprintf(" %d/%d", p.Done, p.Total)
		width := 0
		for _, s := range p.Segments {
			width = max(width, len(s.Segment))
		}
		for _, s := range p.Segments {
			if s.Done && !next.done[s.Segment] {
				lines = append(lines, segmentLine(s, width, false))
				next.done[s.Segment] = true
			}
		}
	}
	if key != st.status {
		lines = append(lines, recomputeStatusLine(rv, now, false))
		next.status = key
	}
	return lines, next
}

// segmentsOptions wires the segment routes of the admin API: the starter
// reaches Temporal, the store holds memberships, push state and the segment
// engine's decision on the store's Customer Segmentation API.
func segmentsOptions(control api.SegmentControl, st *store.Store, flows *config.Flows, stores []string, logger *slog.Logger) api.SegmentsOptions {
	return api.SegmentsOptions{Control: control, Store: st, Flows: flows, Stores: stores, Logger: logger,
		BigCommerceUnavailable: func(ctx context.Context, storeHash string) (bool, error) {
			return bigCommerceSegmentationOff(ctx, st, storeHash)
		}}
}

// bigCommerceSegmentationOff reads the segment engine's decision that the
// store's BigCommerce has no Customer Segmentation API: the time it decided
// so, in sync_state, while it holds.
func bigCommerceSegmentationOff(ctx context.Context, st *store.Store, storeHash string) (bool, error) {
	state, err := st.GetSyncState(ctx, storeHash, segments.StateBigCommerceUnavailable)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return state.Cursor != "", nil
}

// The starter and the store are what the segment routes reach Temporal and
// the database through.
var (
	_ api.SegmentControl = (*starter.Starter)(nil)
	_ api.SegmentReader  = (*store.Store)(nil)
)
