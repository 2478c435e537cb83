package starter

import (
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/bcflow/bcflow/workflows"
)

// TestRoutesTable: the scope table routes every scope bcflow subscribes
// to, with the reuse policy its comment documents.
func TestRoutesTable(t *testing.T) {
	routes := map[string]Route{}
	for _, r := range Routes() {
		if _, dup := routes[r.Scope]; dup {
			t.Fatalf("scope %s routed twice", r.Scope)
		}
		routes[r.Scope] = r
	}
	want := map[string]struct{ workflow, signal string }{
		"store/cart/couponApplied": {workflows.CartRecoveryWorkflowName, workflows.SignalCartActivity},
		"store/order/updated":      {workflows.OrderLifecycleWorkflowName, workflows.SignalOrderUpdated},
	}
	for scope, w := range want {
		r, ok := routes[scope]
		if !ok || r.Workflow != w.workflow || r.Signal != w.signal || r.mode != signalWithStart {
			t.Errorf("%s routed as %+v, want signal-with-start %s with %s", scope, r, w.workflow, w.signal)
		}
	}
	for scope, r := range routes {
		switch {
		case r.mode == signalOnly:
		case strings.HasPrefix(scope, "store/cart/"):
			// A failed cart flow may restart; a completed one stays ended.
			if r.reuse != enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY {
				t.Errorf("%s: reuse %v, want ALLOW_DUPLICATE_FAILED_ONLY", scope, r.reuse)
			}
		default:
			if r.reuse != enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE {
				t.Errorf("%s: reuse %v, want ALLOW_DUPLICATE", scope, r.reuse)
			}
		}
	}
}

// TestCouponAppliedIsCartActivity: applying a coupon signals the cart's
// flow like any other cart change (it restarts the idle clock).
func TestCouponAppliedIsCartActivity(t *testing.T) {
	ev, err := ParseEvent([]byte(`{"scope":"store/cart/couponApplied","store_id":"1025646","producer":"stores/abc123","hash":"h","created_at":1561482670,
		"data":{"type":"cart","id":"09346904-4175-44fd-be53-f7e598531b6c","couponId":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	r := New(nil, "q").routes[ev.Scope]
	tg, err := r.target(ev)
	if err != nil {
		t.Fatal(err)
	}
	act, ok := tg.signal.(workflows.CartActivity)
	if tg.id != workflows.CartRecoveryID("abc123", "09346904-4175-44fd-be53-f7e598531b6c") || !ok || act.Scope != ev.Scope {
		t.Fatalf("target = %+v", tg)
	}
}

// A reported bonus starts under ALLOW_DUPLICATE_FAILED_ONLY like every
// route: a completed bonus (same id) is still refused, a failed one can run
// again.
func TestBonusStartOptions(t *testing.T) {
	in := workflows.LoyaltyBonusInput{StoreHash: "abc", CustomerID: 7, Kind: workflows.BonusReviewSubmitted, Reference: "r1"}
	o := bonusStartOptions(in, "bcflow-q")
	if o.ID != workflows.LoyaltyBonusID(in) || o.TaskQueue != "bcflow-q" || !o.WorkflowExecutionErrorWhenAlreadyStarted {
		t.Fatalf("options %+v", o)
	}
	if o.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY {
		t.Errorf("reuse %v, want ALLOW_DUPLICATE_FAILED_ONLY", o.WorkflowIDReusePolicy)
	}
	if c, ok := o.TypedSearchAttributes.GetKeyword(workflows.SearchCustomerID); !ok || c != "7" {
		t.Errorf("customer %q", c)
	}
}
