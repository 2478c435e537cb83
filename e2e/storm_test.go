package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"

	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/workflows"
)

// stormSignals is how many signals the storm test sends each flow; the
// issue's figure is 5 000 (BCFLOW_STORM_SIGNALS overrides it).
func stormSignals(t *testing.T) int {
	if v := os.Getenv("BCFLOW_STORM_SIGNALS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("BCFLOW_STORM_SIGNALS=%q: want a positive number", v)
		}
		return n
	}
	return 5000
}

// stormTarget is one long-lived flow and the signal the storm floods it
// with.
type stormTarget struct {
	name   string
	id     string
	signal string
	arg    any
}

// runChain is what a workflow's chain of runs (continue-as-new) holds.
type runChain struct {
	runs      int
	maxEvents int
	signals   int // WorkflowExecutionSignaled events of the storm's name, all runs
	open      bool
}

// TestSignalStormKeepsHistoriesBoundedAndLosesNothing floods each
// signal-driven flow (a cart's recovery, a customer's contact sync, an
// order's hub and its loyalty award) with 5 000 signals on a real Temporal
// server: every run's history stays well under Temporal's 4 096-event
// warning (the flows continue as new), and every signal delivered to any
// run was handled (the flow's own count, carried across runs, equals the
// signals in the histories).
func TestSignalStormKeepsHistoriesBoundedAndLosesNothing(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	n := stormSignals(t)

	cust, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Email: "storm@example.com", FirstName: "Sam"})
	if err != nil {
		t.Fatal(err)
	}
	cart, err := s.bc.CreateCart(s.hash, bcemu.CartInput{CustomerID: cust.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	order := s.placeOrder(t, bcemu.CartInput{CustomerID: cust.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}}, bcemu.CheckoutInput{})
	if _, err := s.bc.SetOrderStatus(s.hash, order.ID, 10); err != nil { // Completed: the loyalty award starts
		t.Fatal(err)
	}
	targets := []stormTarget{
		{"cart recovery", workflows.CartRecoveryID(s.hash, cart.ID), workflows.SignalCartActivity, workflows.CartActivity{Scope: "store/cart/updated"}},
		{"contact sync", workflows.ContactSyncID(s.hash, int64(cust.ID)), workflows.SignalCustomerChanged, workflows.CustomerChanged{Scope: "store/customer/updated"}},
		{"order hub", workflows.OrderLifecycleID(s.hash, int64(order.ID)), workflows.SignalOrderUpdated, workflows.OrderEvent{Scope: "store/order/updated"}},
		{"loyalty award", workflows.LoyaltyAwardID(s.hash, int64(order.ID)), workflows.SignalOrderStatus, workflows.OrderStatus{PreviousStatusID: 10, NewStatusID: 10}},
	}
	first := map[string]string{}
	for _, tg := range targets {
		eventually(t, tg.name+" running", func() (bool, string) {
			resp, err := s.c.DescribeWorkflowExecution(ctx, tg.id, "")
			if err != nil {
				return false, err.Error()
			}
			first[tg.id] = resp.GetWorkflowExecutionInfo().GetExecution().GetRunId()
			return resp.GetWorkflowExecutionInfo().GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING, "not running"
		})
	}

	// The storm: every target at once, eight senders each.
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, len(targets)*8)
	for _, tg := range targets {
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += 8 {
					if err := s.c.SignalWorkflow(ctx, tg.id, "", tg.signal, tg.arg); err != nil {
						errs <- fmt.Errorf("%s: signal %d: %w", tg.name, i, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d signals to each of %d flows sent in %s", n, len(targets), time.Since(start).Round(time.Millisecond))

	for _, tg := range targets {
		var chain runChain
		var handled int64
		eventually(t, tg.name+" handled every signal", func() (bool, string) {
			chain = s.walkRuns(t, tg.id, first[tg.id], tg.signal)
			handled = s.handledSignals(tg.id, tg.signal)
			return chain.signals >= n && int64(chain.signals) == handled,
				fmt.Sprintf("%d signals in %d runs, %d handled", chain.signals, chain.runs, handled)
		})
		t.Logf("%s: %d signals in %d runs, largest history %d events, %d handled", tg.name, chain.signals, chain.runs, chain.maxEvents, handled)
		if chain.runs < 2 {
			t.Errorf("%s: %d signals in one run: it never continued as new", tg.name, chain.signals)
		}
		if chain.maxEvents >= 4096 {
			t.Errorf("%s: a run reached %d history events, past Temporal's 4 096-event warning (bcflow's budget is 1 500)", tg.name, chain.maxEvents)
		}
	}
}

// walkRuns follows a workflow's runs from runID through every
// continue-as-new, counting each run's events and the signals named name.
func (s *stack) walkRuns(t *testing.T, id, runID, name string) runChain {
	var c runChain
	for runID != "" {
		c.runs++
		events, next, open := 0, "", true
		it := s.c.GetWorkflowHistory(context.Background(), id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatalf("history of %s run %s: %v", id, runID, err)
			}
			events++
			if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil && a.GetSignalName() == name {
				c.signals++
			}
			if a := ev.GetWorkflowExecutionContinuedAsNewEventAttributes(); a != nil {
				next, open = a.GetNewExecutionRunId(), false
			}
		}
		c.maxEvents = max(c.maxEvents, events)
		c.open = open
		runID = next
	}
	return c
}

// handledSignals is how many signals named name the workflow's latest run
// says its flow handled since its first run (the "signals" query).
func (s *stack) handledSignals(id, name string) int64 {
	v, err := s.c.QueryWorkflow(context.Background(), id, "", workflows.QuerySignals)
	if err != nil {
		return -1
	}
	var counts []workflows.SignalCount
	if err := v.Get(&counts); err != nil {
		return -1
	}
	for _, c := range counts {
		if c.Name == name {
			return c.Count
		}
	}
	return 0
}
