package segments

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/store"
)

// Built-in segments and their titles (BigCommerce segment and Brevo list).
const (
	firstTime = "first_time_buyers"
	repeat    = "repeat_customers"
	highValue = "high_value"
	atRisk    = "at_risk"
	wholesale = "wholesale"

	titleFirstTime = "First-time buyers"
	titleRepeat    = "Repeat customers"
	titleHighValue = "High-value customers"
	titleAtRisk    = "At-risk customers"
)

func entered(changes []store.SegmentChange) (in, out []string) {
	for _, c := range changes {
		if c.Entered {
			in = append(in, c.Segment)
		} else {
			out = append(out, c.Segment)
		}
	}
	slices.Sort(in)
	slices.Sort(out)
	return in, out
}

func TestOrderMovesShopperInAndRefundMovesOut(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		const ann = "ann@example.com"
		id := e.customer(ann, 1)

		e.order(id, ann, 600, e.clock().Add(-time.Hour))
		in, out := entered(e.evaluate(ann))
		if !slices.Equal(in, []string{firstTime}) || len(out) != 0 {
			t.Fatalf("after the first order: entered %v, left %v", in, out)
		}
		second := e.order(id, "ANN@example.com", 500, e.clock())
		in, out = entered(e.evaluate("Ann@Example.com"))
		if !slices.Equal(in, []string{highValue, repeat}) || !slices.Equal(out, []string{firstTime}) {
			t.Fatalf("after the second order: entered %v, left %v", in, out)
		}

		r := e.push()
		// first_time_buyers was entered and left before any push: nothing
		// to send for it.
		if r.BigCommerceAdded != 2 || r.BrevoAdded != 2 || r.BigCommerceRemoved != 0 || r.BrevoRemoved != 0 || r.Skipped != 0 || r.More {
			t.Errorf("push after the orders: %+v", r)
		}
		for _, title := range []string{titleRepeat, titleHighValue} {
			if got := e.bcMembers(title); !slices.Equal(got, []int{int(id)}) {
				t.Errorf("BigCommerce segment %q holds %v, want [%d]", title, got, id)
			}
			if got := e.brevoMembers(title); !slices.Equal(got, []string{ann}) {
				t.Errorf("Brevo list %q holds %v", title, got)
			}
		}
		if got := e.bcMembers(titleFirstTime); len(got) != 0 {
			t.Errorf("BigCommerce first-time buyers holds %v", got)
		}
		if p := e.pending(); len(p) != 0 {
			t.Errorf("pending after the push: %v", p)
		}

		e.refund(second)
		in, out = entered(e.evaluate(ann))
		if !slices.Equal(in, []string{firstTime}) || !slices.Equal(out, []string{highValue, repeat}) {
			t.Fatalf("after the refund: entered %v, left %v", in, out)
		}
		r = e.push()
		if r.BigCommerceAdded != 1 || r.BigCommerceRemoved != 2 || r.BrevoAdded != 1 || r.BrevoRemoved != 2 || r.Skipped != 0 {
			t.Errorf("push after the refund: %+v", r)
		}
		for _, title := range []string{titleRepeat, titleHighValue} {
			if got := e.bcMembers(title); len(got) != 0 {
				t.Errorf("BigCommerce segment %q still holds %v", title, got)
			}
			if got := e.brevoMembers(title); len(got) != 0 {
				t.Errorf("Brevo list %q still holds %v", title, got)
			}
		}
		if got := e.bcMembers(titleFirstTime); !slices.Equal(got, []int{int(id)}) {
			t.Errorf("BigCommerce first-time buyers holds %v", got)
		}
		if got := e.brevoMembers(titleFirstTime); !slices.Equal(got, []string{ann}) {
			t.Errorf("Brevo first-time buyers holds %v", got)
		}

		// Nothing pending: a push sends nothing.
		before := e.bcRequests()
		if r := e.push(); r != (PushResult{}) || e.bcRequests() != before {
			t.Errorf("an idle push: %+v, %d requests", r, e.bcRequests()-before)
		}
	})
}

func TestGuestsArePushedToBrevoOnly(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		const guest = "guest@example.com"
		e.contact(guest)
		e.order(0, guest, 20, e.clock().Add(-time.Hour))
		e.order(0, guest, 30, e.clock())
		in, _ := entered(e.evaluate(guest))
		if !slices.Equal(in, []string{repeat}) {
			t.Fatalf("the guest entered %v", in)
		}
		before := e.bcRequests()
		r := e.push()
		if r.BrevoAdded != 1 || r.BigCommerceAdded != 0 {
			t.Errorf("push of a guest: %+v", r)
		}
		if got := e.brevoMembers(titleRepeat); !slices.Equal(got, []string{guest}) {
			t.Errorf("Brevo list holds %v", got)
		}
		// Guests cannot be in BigCommerce segments: not applicable from the
		// start (the store) or skipped by the push with its reason, and no
		// request names them.
		if r.Skipped > 0 && e.logs.count("guests cannot be in BigCommerce segments") != 1 {
			t.Errorf("guests skipped without their reason: %s", e.logs)
		}
		if n := e.bcRequests() - before; n != 0 {
			t.Errorf("%d BigCommerce requests for a guest", n)
		}
		if got := e.bcMembers(titleRepeat); len(got) != 0 {
			t.Errorf("BigCommerce segment holds %v", got)
		}
		if p := e.pending(); len(p) != 0 {
			t.Errorf("pending after the push: %v", p)
		}
	})
}

func TestStoreWithoutSegmentationAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.must(e.bcemu.SetSegmentationAvailable(e.hash, false))
		const ann, bo = "ann@example.com", "bo@example.com"
		a := e.customer(ann, 1)
		e.order(a, ann, 40, e.clock())
		e.evaluate(ann)
		r := e.push()
		if !r.BigCommerceUnavailable || r.Skipped != 1 || r.BrevoAdded != 1 || r.BigCommerceAdded != 0 {
			t.Errorf("first push: %+v", r)
		}
		const line = "Customer Segmentation API"
		if n := e.logs.count(line); n != 1 {
			t.Errorf("%d log lines on the missing API, want 1:\n%s", n, e.logs)
		}
		if got := e.brevoMembers(titleFirstTime); !slices.Equal(got, []string{ann}) {
			t.Errorf("Brevo list holds %v", got)
		}
		if _, err := e.eng.BigCommerceSegmentID(e.ctx, e.hash, firstTime); !errors.Is(err, ErrBigCommerceUnavailable) {
			t.Errorf("BigCommerceSegmentID = %v, want ErrBigCommerceUnavailable", err)
		}

		// Later changes are skipped without asking BigCommerce, and said
		// once per process.
		b := e.customer(bo, 1)
		e.order(b, bo, 40, e.clock())
		e.evaluate(bo)
		before := e.bcRequests()
		r = e.push()
		if !r.BigCommerceUnavailable || r.Skipped != 1 || r.BrevoAdded != 1 {
			t.Errorf("second push: %+v", r)
		}
		if n := e.bcRequests() - before; n != 0 {
			t.Errorf("%d BigCommerce requests while the API is known missing", n)
		}
		if n := e.logs.count(line); n != 1 {
			t.Errorf("%d log lines on the missing API, want 1", n)
		}
		if p := e.pending(); len(p) != 0 {
			t.Errorf("pending: %v", p)
		}

		// A day later the API is tried again; the store has it now.
		e.must(e.bcemu.SetSegmentationAvailable(e.hash, true))
		e.advance(25 * time.Hour)
		e.order(b, bo, 40, e.clock())
		e.evaluate(bo)
		r = e.push()
		if r.BigCommerceUnavailable || r.BigCommerceAdded != 1 {
			t.Errorf("push once the API is back: %+v", r)
		}
		if got := e.bcMembers(titleRepeat); !slices.Equal(got, []int{int(b)}) {
			t.Errorf("BigCommerce repeat customers holds %v", got)
		}
		if since, err := e.eng.unavailableSince(e.ctx, e.hash); err != nil || !since.IsZero() {
			t.Errorf("still recorded unavailable since %v (%v)", since, err)
		}
	})
}

func TestProfileAlreadyInSegmentCountsAsAdded(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		var ids []int64
		for _, em := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			id := e.customer(em, 1)
			ids = append(ids, id)
			e.order(id, em, 10, e.clock())
			e.evaluate(em)
		}
		// b is already in the BigCommerce segment (put there by hand, or by
		// a push whose record was lost), with a profile bcflow never saw.
		segID, err := e.eng.BigCommerceSegmentID(e.ctx, e.hash, firstTime)
		e.must(err)
		prof, err := e.bc.EnsureShopperProfiles(e.ctx, int(ids[1]))
		e.must(err)
		if _, err := e.bc.AddProfilesToSegment(e.ctx, segID, prof.IDs[int(ids[1])]); err != nil {
			t.Fatal(err)
		}
		r := e.push()
		if r.BigCommerceAdded != 3 || r.Skipped != 0 {
			t.Errorf("push: %+v", r)
		}
		want := []int{int(ids[0]), int(ids[1]), int(ids[2])}
		if got := e.bcMembers(titleFirstTime); !slices.Equal(got, want) {
			t.Errorf("BigCommerce segment holds %v, want %v", got, want)
		}
	})
}

func TestPushIsIdempotentAcrossACrash(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		var want []int
		var emails []string
		for i := range 60 {
			em := "s" + string(rune('a'+i/26)) + string(rune('a'+i%26)) + "@example.com"
			id := e.customer(em, 1)
			e.order(id, em, 10, e.clock())
			want = append(want, int(id))
			emails = append(emails, em)
		}
		e.evaluate(emails...)

		// The first push dies right after BigCommerce took the first batch
		// of adds, before it was recorded.
		ctx, cancel := context.WithCancel(context.Background())
		hc := &http.Client{Transport: &cancelAfter{next: http.DefaultTransport, cancel: cancel, match: func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/shopper-profiles") && strings.Contains(r.URL.Path, "/segments/")
		}}}
		seed := e.bc
		crashy, err := bigcommerce.New(bigcommerce.Options{BaseURL: e.bcURL, StoreHash: seed.StoreHash(),
			AccessToken: "dev-access-token", HTTPClient: hc, MaxRetries: -1})
		e.must(err)
		e.eng.BigCommerce = func(string) (*bigcommerce.Client, error) { return crashy, nil }
		if _, err := e.eng.Push(ctx, e.hash, 0); err == nil {
			t.Fatal("the interrupted push succeeded")
		}
		e.eng.BigCommerce = func(string) (*bigcommerce.Client, error) { return e.bc, nil }
		if p := e.pending()[firstTime][store.PushBigCommerce]; p == 0 {
			t.Fatal("the interrupted push recorded its adds")
		}
		if got := e.bcMembers(titleFirstTime); len(got) == 0 {
			t.Fatal("the interrupted push added nobody: nothing to replay")
		}

		// Run again: the batch BigCommerce took answers 409 and counts as
		// added; nothing is lost or doubled.
		r := e.push()
		if r.BigCommerceAdded != 60 || r.BrevoAdded != 60 || r.Skipped != 0 {
			t.Errorf("second push: %+v", r)
		}
		slices.Sort(want)
		if got := e.bcMembers(titleFirstTime); !slices.Equal(got, want) {
			t.Errorf("BigCommerce segment holds %d profiles, want %d", len(got), len(want))
		}
		if got := e.brevoMembers(titleFirstTime); len(got) != 60 {
			t.Errorf("Brevo list holds %d", len(got))
		}
		// And a third push has nothing to do.
		before := e.bcRequests()
		if r := e.push(); r != (PushResult{}) || e.bcRequests() != before {
			t.Errorf("third push: %+v, %d requests", r, e.bcRequests()-before)
		}
	})
}

func TestTimeOnlyRecomputeEvaluatesOnlyTheWindow(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		const yan, xi = "yan@example.com", "xi@example.com"
		y := e.customer(yan, 1)
		e.order(y, yan, 20, t0.AddDate(0, 0, -200))
		e.order(y, yan, 20, t0.Add(-89*24*time.Hour))
		if res, err := e.eng.Recompute(e.ctx, e.hash, "", false, nil); err != nil || res.Evaluated != 5 || res.Entered != 1 {
			t.Fatalf("full recompute: %+v, %v", res, err)
		}
		if !e.member(repeat, yan) || e.member(atRisk, yan) {
			t.Fatal("yan after the full run")
		}

		// xi qualifies for at-risk (last order 200 days ago) but was never
		// evaluated: a time-only run must not scan everyone to find xi.
		x := e.customer(xi, 1)
		e.order(x, xi, 20, t0.AddDate(0, 0, -300))
		e.order(x, xi, 20, t0.AddDate(0, 0, -200))

		e.advance(2 * 24 * time.Hour)
		var seen []Progress
		res, err := e.eng.Recompute(e.ctx, e.hash, "", true, func(p Progress) { seen = append(seen, p) })
		e.must(err)
		if res.Segments != 5 || res.Evaluated != 1 || res.Entered != 1 || res.Left != 0 {
			t.Errorf("time-only recompute: %+v", res)
		}
		if !e.member(atRisk, yan) {
			t.Error("yan, inactive for 91 days, is not at risk")
		}
		if e.member(atRisk, xi) || e.member(repeat, xi) {
			t.Error("the time-only run evaluated xi, whose dates are outside its window")
		}
		if len(seen) != 6 || seen[5] != (Progress{Done: 5, Total: 5}) {
			t.Errorf("progress %+v", seen)
		}

		// The next day's run has nothing to find.
		e.advance(24 * time.Hour)
		if res, err := e.eng.Recompute(e.ctx, e.hash, "", true, nil); err != nil || res.Entered+res.Left != 0 {
			t.Errorf("next time-only run: %+v, %v", res, err)
		}
		// A full run does find xi (so the check above could fail).
		if res, err := e.eng.Recompute(e.ctx, e.hash, atRisk, false, nil); err != nil || res.Entered != 1 || !e.member(atRisk, xi) {
			t.Errorf("full run of at_risk: %+v, %v", res, err)
		}

		// A changed definition is evaluated in full by the next time-only
		// run, even when not time-based.
		f := config.DefaultFlows()
		for i := range f.Defaults.Segments.Definitions {
			if d := &f.Defaults.Segments.Definitions[i]; d.Name == highValue {
				d.Rule = config.Rule{TotalSpent: &config.NumberRange{AtLeast: ptr(30.0)}}
			}
		}
		e.setFlows(f)
		e.advance(24 * time.Hour)
		res, err = e.eng.Recompute(e.ctx, e.hash, "", true, nil)
		e.must(err)
		if res.Evaluated != 2 || res.Entered != 2 || !e.member(highValue, yan) || !e.member(highValue, xi) {
			t.Errorf("time-only run after a changed definition: %+v", res)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestRemovedDefinitionIsDropped(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		const ann = "ann@example.com"
		id := e.customer(ann, 1)
		e.order(id, ann, 10, e.clock())
		e.evaluate(ann)
		e.push()
		if got := e.bcMembers(titleFirstTime); !slices.Equal(got, []int{int(id)}) {
			t.Fatalf("BigCommerce first-time buyers holds %v", got)
		}
		f := config.DefaultFlows()
		f.Defaults.Segments.Definitions = slices.DeleteFunc(f.Defaults.Segments.Definitions,
			func(d config.SegmentDefinition) bool { return d.Name == firstTime })
		e.setFlows(f)
		res, err := e.eng.Recompute(e.ctx, e.hash, "", false, nil)
		e.must(err)
		if res.Left != 1 || res.Segments != 5 || e.member(firstTime, ann) {
			t.Errorf("recompute without first_time_buyers: %+v", res)
		}
		r := e.push()
		if r.BigCommerceRemoved != 1 || r.BrevoRemoved != 1 {
			t.Errorf("push: %+v", r)
		}
		if got := e.bcMembers(titleFirstTime); len(got) != 0 {
			t.Errorf("BigCommerce first-time buyers still holds %v", got)
		}
		if got := e.brevoMembers(titleFirstTime); len(got) != 0 {
			t.Errorf("Brevo first-time buyers still holds %v", got)
		}
		if _, err := e.eng.Recompute(e.ctx, e.hash, "nope", false, nil); !errors.Is(err, ErrUnknownSegment) {
			t.Errorf("recompute of an unknown segment: %v", err)
		}
	})
}

func TestCustomerGroupNamesResolveThroughACache(t *testing.T) {
	e := newEnv(t, openStore(t, "sqlite:"+t.TempDir()+"/bcflow.db"))
	const w, r = "buyer@trade.example.com", "retail@example.com"
	wid := e.customer(w, 2) // Wholesale
	e.customer(r, 1)
	groupCalls := func() int {
		rs, err := e.bcemu.RequestStats(e.hash)
		e.must(err)
		return rs.Paths["GET /v2/customer_groups"].Requests
	}
	in, _ := entered(e.evaluate(w, r))
	if !slices.Equal(in, []string{wholesale}) || !e.member(wholesale, w) || e.member(wholesale, r) {
		t.Fatalf("entered %v", in)
	}
	e.evaluate(w)
	if n := groupCalls(); n != 1 {
		t.Errorf("%d customer group reads for two evaluations, want 1", n)
	}
	e.advance(11 * time.Minute)
	e.evaluate(w)
	if n := groupCalls(); n != 2 {
		t.Errorf("%d customer group reads after 11 minutes, want 2", n)
	}
	if r := e.push(); r.BigCommerceAdded != 1 {
		t.Errorf("push: %+v", r)
	}
	if got := e.bcMembers("Wholesale customers"); !slices.Equal(got, []int{int(wid)}) {
		t.Errorf("BigCommerce wholesale holds %v", got)
	}

	// BigCommerce down when the cache expires: the last groups read serve.
	down, err := bigcommerce.New(bigcommerce.Options{BaseURL: "http://127.0.0.1:1", StoreHash: e.hash, AccessToken: "x", MaxRetries: -1})
	e.must(err)
	e.eng.BigCommerce = func(string) (*bigcommerce.Client, error) { return down, nil }
	e.advance(11 * time.Minute)
	e.must(e.st.UpsertCustomers(e.ctx, e.hash, []store.MirrorCustomer{{ID: wid, Email: w, GroupID: 1,
		ChannelIDs: []int{1}, DateCreated: e.clock(), DateModified: e.clock()}}))
	if _, out := entered(e.evaluate(w)); !slices.Equal(out, []string{wholesale}) {
		t.Errorf("leaving Wholesale with BigCommerce down: left %v", out)
	}
	if e.logs.count("customer groups unreadable") != 1 {
		t.Errorf("no warning on the stale groups:\n%s", e.logs)
	}
}

func TestDisabledSegmentsDoNothing(t *testing.T) {
	e := newEnv(t, openStore(t, "sqlite:"+t.TempDir()+"/bcflow.db"))
	const ann = "ann@example.com"
	id := e.customer(ann, 1)
	e.order(id, ann, 10, e.clock())
	e.evaluate(ann)
	f := config.DefaultFlows()
	f.Defaults.Segments.Enabled = false
	e.setFlows(f)
	if ch := e.evaluate(ann); len(ch) != 0 {
		t.Errorf("changes while disabled: %v", ch)
	}
	if res, err := e.eng.Recompute(e.ctx, e.hash, "", false, nil); err != nil || res != (RecomputeResult{}) {
		t.Errorf("recompute while disabled: %+v, %v", res, err)
	}
	if r := e.push(); r != (PushResult{}) {
		t.Errorf("push while disabled: %+v", r)
	}
	// The member stays, and its push waits for the section to be back.
	if !e.member(firstTime, ann) || e.pending()[firstTime][store.PushBigCommerce] != 1 {
		t.Error("disabling segments changed the memberships")
	}
	if _, err := e.eng.BigCommerceSegmentID(e.ctx, e.hash, firstTime); !errors.Is(err, ErrDisabled) {
		t.Errorf("BigCommerceSegmentID while disabled: %v", err)
	}
}

func TestCrossingsAreListedUntilMarked(t *testing.T) {
	e := newEnv(t, openStore(t, "sqlite:"+t.TempDir()+"/bcflow.db"))
	const ann = "ann@example.com"
	id := e.customer(ann, 1)
	o := e.order(id, ann, 10, e.clock())
	e.evaluate(ann)
	e.advance(time.Minute)
	e.refund(o)
	e.evaluate(ann)
	cs, err := e.eng.PendingCrossings(e.ctx, e.hash, 10)
	e.must(err)
	if len(cs) != 2 || cs[0].Segment != firstTime || !cs[0].Add || cs[1].Add {
		t.Fatalf("crossings %+v", cs)
	}
	if c := CrossingOf(cs[1]); c.Entered || !c.At.Equal(cs[1].LeftAt) || c.CustomerID != id {
		t.Errorf("crossing of a leave: %+v", c)
	}
	e.must(e.eng.MarkCrossings(e.ctx, e.hash, cs[:1]))
	if cs, err = e.eng.PendingCrossings(e.ctx, e.hash, 10); err != nil || len(cs) != 1 || cs[0].Add {
		t.Errorf("after marking the entry: %+v, %v", cs, err)
	}
}

func TestPushInPortions(t *testing.T) {
	e := newEnv(t, openStore(t, "sqlite:"+t.TempDir()+"/bcflow.db"))
	var emails []string
	for i := range 60 {
		em := "p" + string(rune('a'+i/26)) + string(rune('a'+i%26)) + "@example.com"
		id := e.customer(em, 1)
		e.order(id, em, 10, e.clock())
		emails = append(emails, em)
	}
	e.evaluate(emails...)
	var total PushResult
	pushes := 0
	for {
		r, err := e.eng.Push(e.ctx, e.hash, 25)
		e.must(err)
		pushes++
		if r.BigCommerceAdded > 25 || r.BrevoAdded > 25 {
			t.Errorf("a push of at most 25 did %+v", r)
		}
		total.BigCommerceAdded += r.BigCommerceAdded
		total.BrevoAdded += r.BrevoAdded
		if !r.More {
			break
		}
		if pushes > 5 {
			t.Fatal("More never ends")
		}
	}
	if pushes != 3 || total.BigCommerceAdded != 60 || total.BrevoAdded != 60 {
		t.Errorf("%d pushes added %+v", pushes, total)
	}
	if got := e.bcMembers(titleFirstTime); len(got) != 60 {
		t.Errorf("BigCommerce segment holds %d", len(got))
	}
}

func TestEmailsBrevoDoesNotKnowAreSkipped(t *testing.T) {
	e := newEnv(t, openStore(t, "sqlite:"+t.TempDir()+"/bcflow.db"))
	const known, stranger = "known@example.com", "stranger@example.com"
	e.contact(known)
	e.order(0, known, 10, e.clock())
	e.order(0, stranger, 10, e.clock()) // never a Brevo contact
	e.evaluate(known, stranger)
	r := e.push()
	if r.BrevoAdded != 1 || r.Skipped != 1 {
		t.Errorf("push: %+v", r)
	}
	if got := e.brevoMembers(titleFirstTime); !slices.Equal(got, []string{known}) {
		t.Errorf("Brevo list holds %v", got)
	}
	if p := e.pending(); len(p) != 0 {
		t.Errorf("pending: %v", p)
	}
	if strings.Contains(e.logs.String(), stranger) {
		t.Error("an email reached the log")
	}
}
