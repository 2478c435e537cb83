package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/schedules"
	"github.com/bcflow/bcflow/segments"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// Customer segments (issue 13) on the real Temporal server and the
// emulator: orders and refunds move a customer between segments, and the
// emulated BigCommerce segments and Brevo lists follow; the daily schedule
// moves an inactive customer into at-risk, which starts the win-back flow
// once; a store without the Segmentation API keeps everything else.

// segmentFlows keeps the built-ins' shape with thresholds a test can reach:
// high value from 500, at risk 6 s after the last order.
const segmentFlows = `
version: 1
defaults:
  segments:
    enabled: true
    definitions:
      - name: first_time_buyers
        title: First-time buyers
        rule: {orders_count: {equals: 1}}
      - name: repeat_customers
        title: Repeat customers
        rule: {orders_count: {at_least: 2}}
      - name: high_value
        title: High-value customers
        rule: {total_spent: {at_least: 500}}
      - name: at_risk
        title: At-risk customers
        rule:
          all:
            - last_order: {older_than: 6s}
            - orders_count: {at_least: 1}
  segment_flows:
    - name: win_back
      segment: at_risk
      sequence:
        - name: we_miss_you
          delay: 0s
          channel: email
          template:
            subject: "We miss you"
            body: "<p>Come back, {{.FirstName}}.</p>"
`

// segmentMember reports whether email is a current member of segment in
// bcflow's store.
func (s *stack) segmentMember(t testing.TB, segment, email string) bool {
	t.Helper()
	_, ok, err := s.store.CurrentSegmentMember(context.Background(), s.hash, segment, email)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// inBigCommerceSegment reports whether the customer's shopper profile is in
// the BigCommerce segment named title, as the emulated store holds it.
func (s *stack) inBigCommerceSegment(t testing.TB, title string, customerID int) (bool, string) {
	t.Helper()
	ctx := context.Background()
	bc := s.acts.BigCommerce[s.hash]
	segs, err := bigcommerce.Collect(bc.Segments(ctx))
	if err != nil {
		return false, err.Error()
	}
	i := slices.IndexFunc(segs, func(g bigcommerce.Segment) bool { return g.Name == title })
	if i < 0 {
		return false, "no segment " + title
	}
	c, err := bc.GetCustomer(ctx, customerID, bigcommerce.IncludeShopperProfileID)
	if err != nil {
		return false, err.Error()
	}
	if c.ShopperProfileID == "" {
		return false, "no shopper profile"
	}
	profiles, err := bigcommerce.Collect(bc.SegmentProfiles(ctx, segs[i].ID))
	if err != nil {
		return false, err.Error()
	}
	return slices.ContainsFunc(profiles, func(p bigcommerce.ShopperProfile) bool { return p.ID == c.ShopperProfileID }),
		fmt.Sprintf("%d profiles in %s", len(profiles), title)
}

// inBrevoList reports whether email is in the emulated Brevo list named name.
func (s *stack) inBrevoList(name, email string) (bool, string) {
	for _, l := range s.brevo.Lists() {
		if l.Name != name {
			continue
		}
		for _, c := range s.brevo.ListMembers(l.ID) {
			if strings.EqualFold(c.Email, email) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("list %s has %d members", name, l.Members)
	}
	return false, "no list " + name
}

// waitSegments waits until bcflow's store, BigCommerce and Brevo agree that
// the customer is in (or out of) each segment of want.
func (s *stack) waitSegments(t *testing.T, customerID int, email string, want map[string]bool, bigCommerce bool) {
	t.Helper()
	titles := map[string]string{"first_time_buyers": "First-time buyers", "repeat_customers": "Repeat customers",
		"high_value": "High-value customers", "at_risk": "At-risk customers"}
	for seg, in := range want {
		eventually(t, fmt.Sprintf("%s in %s: %v", email, seg, in), func() (bool, string) {
			if got := s.segmentMember(t, seg, email); got != in {
				return false, fmt.Sprintf("store says %v", got)
			}
			if got, detail := s.inBrevoList(titles[seg], email); got != in {
				return false, "Brevo: " + detail
			}
			if bigCommerce {
				if got, detail := s.inBigCommerceSegment(t, titles[seg], customerID); got != in {
					return false, "BigCommerce: " + detail
				}
			}
			return true, ""
		})
	}
}

// newSegmentCustomer creates a registered customer and waits for their
// Brevo contact (segment lists hold contacts).
func (s *stack) newSegmentCustomer(t *testing.T, email, first string) bcemu.Customer {
	t.Helper()
	c, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Email: email, FirstName: first, AcceptsMarketing: true})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, first+"'s contact at Brevo", func() (bool, string) {
		_, ok := s.brevo.Contact(email)
		return ok, "no contact"
	})
	return c
}

// runDailySegments triggers the store's daily segment schedule and waits
// for the recompute it starts to complete.
func (s *stack) runDailySegments(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	before := s.completedRecomputes(t)
	if err := s.c.ScheduleClient().GetHandle(ctx, schedules.SegmentsScheduleID(s.hash)).Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the scheduled segment recompute completed", func() (bool, string) {
		n := s.completedRecomputes(t)
		return n > before, fmt.Sprintf("%d completed recomputes", n)
	})
}

func (s *stack) completedRecomputes(t *testing.T) int {
	t.Helper()
	resp, err := s.c.ListWorkflow(context.Background(), listRequest(fmt.Sprintf(
		`WorkflowType = %q AND ExecutionStatus = "Completed"`, workflows.SegmentRecomputeWorkflowName)))
	if err != nil {
		t.Fatal(err)
	}
	return len(resp.Executions)
}

// segmentsSettled waits until nothing of the store's segments is left to
// push (BigCommerce, Brevo, segment flows) and no recompute runs.
func (s *stack) segmentsSettled(t *testing.T) {
	t.Helper()
	eventually(t, "segment pushes settled", func() (bool, string) {
		counts, err := s.store.PendingSegmentPushCounts(context.Background(), s.hash)
		if err != nil {
			return false, err.Error()
		}
		for seg, byTarget := range counts {
			for target, n := range byTarget {
				if n > 0 {
					return false, fmt.Sprintf("%d pending %s pushes of %s", n, target, seg)
				}
			}
		}
		resp, err := s.c.ListWorkflow(context.Background(), listRequest(fmt.Sprintf(
			`WorkflowType = %q AND ExecutionStatus = "Running"`, workflows.SegmentRecomputeWorkflowName)))
		if err != nil {
			return false, err.Error()
		}
		return len(resp.Executions) == 0, fmt.Sprintf("%d recomputes running", len(resp.Executions))
	})
}

func TestSegmentsFollowOrdersRefundsAndTime(t *testing.T) {
	s := newStack(t, stackOptions{flowsYAML: segmentFlows})
	ctx := context.Background()
	if err := schedules.EnsureSchedules(ctx, s.c, taskQueue, []string{s.hash}); err != nil {
		t.Fatal(err)
	}

	// Ines lapses: one order, then nothing.
	const lapsed = "ines@example.com"
	ines := s.newSegmentCustomer(t, lapsed, "Ines")
	s.placeOrder(t, bcemu.CartInput{CustomerID: ines.ID, Items: []bcemu.ItemInput{{SKU: "OTS", Quantity: 1}}}, bcemu.CheckoutInput{})
	lapsedAt := time.Now()

	// Nora buys: a first order makes her a first-time buyer, everywhere.
	const email = "nora@example.com"
	nora := s.newSegmentCustomer(t, email, "Nora")
	s.placeOrder(t, bcemu.CartInput{CustomerID: nora.ID, Items: []bcemu.ItemInput{{SKU: "OTL", Quantity: 1}}}, bcemu.CheckoutInput{})
	s.waitSegments(t, nora.ID, email, map[string]bool{"first_time_buyers": true, "repeat_customers": false, "high_value": false}, true)

	// A big second order: repeat and high value, no longer first-time.
	big := s.placeOrder(t, bcemu.CartInput{CustomerID: nora.ID, Items: []bcemu.ItemInput{{SKU: "OTL", Quantity: 6}}}, bcemu.CheckoutInput{})
	s.waitSegments(t, nora.ID, email, map[string]bool{"first_time_buyers": false, "repeat_customers": true, "high_value": true}, true)

	// Its refund takes her out again, in bcflow, BigCommerce and Brevo.
	if _, err := s.bc.Refund(s.hash, big.ID, bcemu.RefundInput{Reason: "changed her mind"}); err != nil {
		t.Fatal(err)
	}
	s.waitSegments(t, nora.ID, email, map[string]bool{"first_time_buyers": true, "repeat_customers": false, "high_value": false}, true)

	// Who entered high value this week is one query, and it holds Nora's
	// stint with its exit.
	stints, err := s.store.ShopperSegments(ctx, s.hash, email)
	if err != nil {
		t.Fatal(err)
	}
	hv := slices.IndexFunc(stints, func(m store.SegmentMember) bool { return m.Segment == "high_value" })
	if hv < 0 || stints[hv].LeftAt.IsZero() {
		t.Fatalf("Nora's high-value stint: %+v", stints)
	}
	entries, err := s.store.SegmentEntries(ctx, s.hash, "high_value", time.Now().Add(-7*24*time.Hour), time.Now().Add(time.Minute))
	if err != nil || len(entries) != 1 || entries[0].Email != email {
		t.Fatalf("high-value entries this week: %+v, %v", entries, err)
	}

	// Time alone makes Ines at risk: the daily run finds her and the
	// win-back flow writes to her once, however often it runs.
	if s.segmentMember(t, "at_risk", lapsed) {
		t.Fatal("Ines at risk before the daily run")
	}
	time.Sleep(time.Until(lapsedAt.Add(7 * time.Second)))
	s.runDailySegments(t)
	s.waitSegments(t, ines.ID, lapsed, map[string]bool{"at_risk": true, "first_time_buyers": true}, true)
	winBack := func() int {
		n := 0
		for _, m := range s.emailsTo(lapsed) {
			if m.Subject == "We miss you" {
				n++
			}
		}
		return n
	}
	eventually(t, "the win-back email to Ines", func() (bool, string) {
		return winBack() == 1, fmt.Sprintf("%d win-back emails", winBack())
	})
	s.runDailySegments(t)
	s.segmentsSettled(t)
	if n := winBack(); n != 1 {
		t.Errorf("%d win-back emails after a second daily run", n)
	}
	stints, err = s.store.ShopperSegments(ctx, s.hash, lapsed)
	if err != nil {
		t.Fatal(err)
	}
	atRisk := 0
	for _, m := range stints {
		if m.Segment == "at_risk" {
			atRisk++
		}
	}
	if atRisk != 1 {
		t.Errorf("Ines has %d at-risk stints, want 1", atRisk)
	}
}

func TestSegmentsWithoutTheSegmentationAPI(t *testing.T) {
	s := newStack(t, stackOptions{flowsYAML: segmentFlows})
	if err := s.bc.SetSegmentationAvailable(s.hash, false); err != nil {
		t.Fatal(err)
	}
	const email = "omar@example.com"
	omar := s.newSegmentCustomer(t, email, "Omar")
	s.placeOrder(t, bcemu.CartInput{CustomerID: omar.ID, Items: []bcemu.ItemInput{{SKU: "OTL", Quantity: 1}}}, bcemu.CheckoutInput{})
	// bcflow and Brevo know; BigCommerce cannot be told.
	s.waitSegments(t, omar.ID, email, map[string]bool{"first_time_buyers": true}, false)
	s.segmentsSettled(t)
	st, err := s.store.GetSyncState(context.Background(), s.hash, segments.StateBigCommerceUnavailable)
	if err != nil || st.Cursor == "" {
		t.Fatalf("the store's record of the missing Segmentation API: %+v, %v", st, err)
	}
	// One decision says so, however many pushes skipped BigCommerce.
	eventually(t, "the decision that the store has no Segmentation API", func() (bool, string) {
		ds, err := s.store.ListDecisions(context.Background(), store.DecisionFilter{StoreHash: s.hash, WorkflowID: workflows.SegmentSyncID(s.hash)})
		n := 0
		for _, d := range ds {
			if d.Reason == workflows.ReasonNoSegmentationAPI {
				n++
			}
		}
		return err == nil && n == 1, fmt.Sprintf("%d such decisions (%v)", n, err)
	})
	counts, err := s.store.PendingSegmentPushCounts(context.Background(), s.hash)
	if err != nil || counts["first_time_buyers"][store.PushBigCommerce] != 0 {
		t.Fatalf("BigCommerce pushes left pending: %+v, %v", counts, err)
	}
	// Nothing reached BigCommerce: looked at with the API switched back on.
	if err := s.bc.SetSegmentationAvailable(s.hash, true); err != nil {
		t.Fatal(err)
	}
	bc := s.acts.BigCommerce[s.hash]
	if segs, err := bigcommerce.Collect(bc.Segments(context.Background())); err != nil || len(segs) != 0 {
		t.Fatalf("segments made in BigCommerce while it had no API: %+v, %v", segs, err)
	}
}
