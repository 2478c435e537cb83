package starter

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/workflows"
)

// Action says what Dispatch did with an event.
type Action string

// The actions.
const (
	// ActionSignalled: the workflow received the signal; with
	// signal-with-start routes, a run was started first if none was open.
	ActionSignalled Action = "signalled"
	// ActionClosed: the workflow already ended and must stay ended (a cart
	// that converted is not resurrected by a late cart webhook).
	ActionClosed Action = "closed"
	// ActionNoWorkflow: an exit signal found nothing to stop.
	ActionNoWorkflow Action = "no_workflow"
	// ActionIgnored: bcflow does not act on this scope.
	ActionIgnored Action = "ignored"
)

// Result reports what Dispatch did.
type Result struct {
	Action     Action
	Scope      string
	WorkflowID string
	RunID      string
}

// mode is how a route reaches its workflow.
type mode int

const (
	// signalWithStart starts the workflow if no run is open, then signals.
	signalWithStart mode = iota
	// signalOnly signals an open run; no open run means nothing to do.
	signalOnly
)

// Route is one row of the scope table.
type Route struct {
	// Scope is the BigCommerce webhook scope.
	Scope string
	// Workflow is the workflow type the scope reaches.
	Workflow string
	// Signal is the signal it sends.
	Signal string
	// mode and reuse choose the Temporal call and its id reuse policy.
	mode  mode
	reuse enumspb.WorkflowIdReusePolicy
	// target builds the workflow id, start input, signal payload and
	// search attributes from the event.
	target func(ev Event) (target, error)
}

// target is where one event goes.
type target struct {
	id     string
	input  any
	signal any
	attrs  []temporal.SearchAttributeUpdate
}

// Routes is the scope table. Its Temporal id reuse policies, on purpose:
//
//	scopes                          call                policy when the id's last run is closed
//	cart created/updated/           signal-with-start   ALLOW_DUPLICATE_FAILED_ONLY: a run that failed,
//	  couponApplied/lineItem/*,                           was terminated or timed out starts again; one
//	  abandoned                                           that completed (converted, deleted, emptied,
//	                                                      unsubscribed, sequence done) stays ended, and the
//	                                                      late webhook gets ActionClosed
//	cart deleted/converted          signal only         none: nothing running means nothing to stop
//	order created/updated/          signal-with-start   ALLOW_DUPLICATE: an event after the order flow
//	  statusUpdated/refund,                               closed starts a new run, which reads the order's
//	  shipment created                                    truth; side effects are keyed (ledger, messages)
//	customer created/updated/       signal-with-start   ALLOW_DUPLICATE: a new sync run
//	  deleted
//	product, sku, category          signal-with-start   ALLOW_DUPLICATE: a new sync run of the product
//	  created/updated/deleted                             (a sku's product) or category
//
// The admin re-drive (Redrive) restarts failed runs with
// ALLOW_DUPLICATE_FAILED_ONLY as well, so it can never reopen a completed
// flow.
func Routes() []Route {
	cartActivity := func(ev Event) (target, error) {
		cartID := ev.Data.ID
		if strings.HasPrefix(ev.Scope, "store/cart/lineItem/") {
			cartID = ev.Data.CartID
		}
		return cartTarget(ev, cartID, workflows.CartActivity{Scope: ev.Scope, EventTime: ev.CreatedAt})
	}
	cartExit := func(reason string) func(Event) (target, error) {
		return func(ev Event) (target, error) {
			return cartTarget(ev, ev.Data.ID, workflows.CartExit{Reason: reason, OrderID: ev.Data.OrderID, EventTime: ev.CreatedAt})
		}
	}
	order := func(signal func(Event) any, orderID func(Event) (int64, error)) func(Event) (target, error) {
		return func(ev Event) (target, error) {
			id, err := orderID(ev)
			if err != nil {
				return target{}, err
			}
			return target{
				id:     workflows.OrderLifecycleID(ev.StoreHash, id),
				input:  workflows.OrderLifecycleInput{StoreHash: ev.StoreHash, OrderID: id},
				signal: signal(ev),
				attrs: []temporal.SearchAttributeUpdate{
					workflows.SearchStoreHash.ValueSet(ev.StoreHash),
					workflows.SearchFlow.ValueSet(workflows.FlowOrderLifecycle),
					workflows.SearchOrderID.ValueSet(strconv.FormatInt(id, 10)),
				},
			}, nil
		}
	}
	dataID := func(ev Event) (int64, error) { return ev.Data.IntID() }
	dataOrderID := func(ev Event) (int64, error) {
		if ev.Data.OrderID <= 0 {
			return 0, &ParseError{Field: "data.orderId", Message: "missing"}
		}
		return ev.Data.OrderID, nil
	}
	orderEvent := func(ev Event) any {
		id, _ := strconv.ParseInt(ev.Data.ID, 10, 64)
		return workflows.OrderEvent{Scope: ev.Scope, ID: id, EventTime: ev.CreatedAt}
	}
	contact := func(ev Event) (target, error) {
		id, err := ev.Data.IntID()
		if err != nil {
			return target{}, &ParseError{Field: "data.id", Message: err.Error()}
		}
		return target{
			id:     workflows.ContactSyncID(ev.StoreHash, id),
			input:  workflows.ContactSyncInput{StoreHash: ev.StoreHash, CustomerID: id},
			signal: workflows.CustomerChanged{Scope: ev.Scope, EventTime: ev.CreatedAt},
			attrs: []temporal.SearchAttributeUpdate{
				workflows.SearchStoreHash.ValueSet(ev.StoreHash),
				workflows.SearchFlow.ValueSet(workflows.FlowContactSync),
				workflows.SearchCustomerID.ValueSet(strconv.FormatInt(id, 10)),
			},
		}, nil
	}
	catalog := func(kind string, entityID func(Event) (int64, error)) func(Event) (target, error) {
		return func(ev Event) (target, error) {
			id, err := entityID(ev)
			if err != nil {
				return target{}, err
			}
			return target{
				id:     workflows.CatalogSyncID(ev.StoreHash, kind, id),
				input:  workflows.CatalogSyncInput{StoreHash: ev.StoreHash, Kind: kind, ID: id},
				signal: workflows.CatalogChanged{Scope: ev.Scope, EventTime: ev.CreatedAt},
				attrs: []temporal.SearchAttributeUpdate{
					workflows.SearchStoreHash.ValueSet(ev.StoreHash),
					workflows.SearchFlow.ValueSet(workflows.FlowCatalogSync),
				},
			}, nil
		}
	}
	skuProduct := func(ev Event) (int64, error) { return ev.Data.ProductID, nil }
	const (
		failedOnly = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
		allowDup   = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
	)
	cart := workflows.CartRecoveryWorkflowName
	catalogFlow := workflows.CatalogSyncWorkflowName
	return []Route{
		{"store/cart/created", cart, workflows.SignalCartActivity, signalWithStart, failedOnly, cartActivity},
		{"store/cart/updated", cart, workflows.SignalCartActivity, signalWithStart, failedOnly, cartActivity},
		{"store/cart/couponApplied", cart, workflows.SignalCartActivity, signalWithStart, failedOnly, cartActivity},
		{"store/cart/lineItem/created", cart, workflows.SignalCartActivity, signalWithStart, failedOnly, cartActivity},
		{"store/cart/lineItem/updated", cart, workflows.SignalCartActivity, signalWithStart, failedOnly, cartActivity},
		{"store/cart/lineItem/deleted", cart, workflows.SignalCartActivity, signalWithStart, failedOnly, cartActivity},
		{"store/cart/abandoned", cart, workflows.SignalCartAbandoned, signalWithStart, failedOnly, func(ev Event) (target, error) {
			return cartTarget(ev, ev.Data.ID, workflows.CartAbandoned{Token: ev.Data.Token, EventTime: ev.CreatedAt})
		}},
		{"store/cart/deleted", cart, workflows.SignalCartExit, signalOnly, 0, cartExit(workflows.ExitDeleted)},
		{"store/cart/converted", cart, workflows.SignalCartExit, signalOnly, 0, cartExit(workflows.ExitConverted)},
		{"store/order/created", workflows.OrderLifecycleWorkflowName, workflows.SignalOrderCreated, signalWithStart, allowDup, order(orderEvent, dataID)},
		{"store/order/updated", workflows.OrderLifecycleWorkflowName, workflows.SignalOrderUpdated, signalWithStart, allowDup, order(func(ev Event) any {
			return workflows.OrderEvent{Scope: ev.Scope, EventTime: ev.CreatedAt}
		}, dataID)},
		{"store/order/statusUpdated", workflows.OrderLifecycleWorkflowName, workflows.SignalOrderStatus, signalWithStart, allowDup, order(func(ev Event) any {
			return workflows.OrderStatus{PreviousStatusID: ev.Data.PreviousStatusID, NewStatusID: ev.Data.NewStatusID, EventTime: ev.CreatedAt}
		}, dataID)},
		{"store/order/refund/created", workflows.OrderLifecycleWorkflowName, workflows.SignalOrderRefund, signalWithStart, allowDup, order(func(ev Event) any {
			return workflows.OrderEvent{Scope: ev.Scope, EventTime: ev.CreatedAt}
		}, dataID)},
		{"store/shipment/created", workflows.OrderLifecycleWorkflowName, workflows.SignalShipment, signalWithStart, allowDup, order(orderEvent, dataOrderID)},
		{"store/customer/created", workflows.ContactSyncWorkflowName, workflows.SignalCustomerChanged, signalWithStart, allowDup, contact},
		{"store/customer/updated", workflows.ContactSyncWorkflowName, workflows.SignalCustomerChanged, signalWithStart, allowDup, contact},
		{"store/customer/deleted", workflows.ContactSyncWorkflowName, workflows.SignalCustomerChanged, signalWithStart, allowDup, contact},
		{"store/product/created", catalogFlow, workflows.SignalCatalogChanged, signalWithStart, allowDup, catalog(workflows.CatalogProduct, dataID)},
		{"store/product/updated", catalogFlow, workflows.SignalCatalogChanged, signalWithStart, allowDup, catalog(workflows.CatalogProduct, dataID)},
		{"store/product/deleted", catalogFlow, workflows.SignalCatalogChanged, signalWithStart, allowDup, catalog(workflows.CatalogProduct, dataID)},
		{"store/product/inventory/updated", catalogFlow, workflows.SignalCatalogChanged, signalWithStart, allowDup, catalog(workflows.CatalogProduct, dataID)},
		{"store/sku/created", catalogFlow, workflows.SignalCatalogChanged, signalWithStart, allowDup, catalog(workflows.CatalogProduct, skuProduct)},
		{"store/sku/updated", catalogFlow, workflows.SignalCatalogChanged, signalWithStart, allowDup, catalog(workflows.CatalogProduct, skuProduct)},
		{"store/sku/deleted", catalogFlow, workflows.SignalCatalogChanged, signalWithStart, allowDup, catalog(workflows.CatalogProduct, skuProduct)},
		{"store/category/created", catalogFlow, workflows.SignalCatalogChanged, signalWithStart, allowDup, catalog(workflows.CatalogCategory, dataID)},
		{"store/category/updated", catalogFlow, workflows.SignalCatalogChanged, signalWithStart, allowDup, catalog(workflows.CatalogCategory, dataID)},
		{"store/category/deleted", catalogFlow, workflows.SignalCatalogChanged, signalWithStart, allowDup, catalog(workflows.CatalogCategory, dataID)},
	}
}

func cartTarget(ev Event, cartID string, signal any) (target, error) {
	if cartID == "" {
		return target{}, &ParseError{Field: "data.id", Message: "missing cart id"}
	}
	return target{
		id:     workflows.CartRecoveryID(ev.StoreHash, cartID),
		input:  workflows.CartRecoveryInput{StoreHash: ev.StoreHash, CartID: cartID},
		signal: signal,
		attrs: []temporal.SearchAttributeUpdate{
			workflows.SearchStoreHash.ValueSet(ev.StoreHash),
			workflows.SearchFlow.ValueSet(workflows.FlowCartRecovery),
			workflows.SearchCartID.ValueSet(cartID),
		},
	}, nil
}

// Starter turns BigCommerce events into Temporal starts and signals.
type Starter struct {
	client    client.Client
	taskQueue string
	routes    map[string]Route
}

// New returns a Starter that starts workflows on taskQueue.
func New(c client.Client, taskQueue string) *Starter {
	s := &Starter{client: c, taskQueue: taskQueue, routes: map[string]Route{}}
	for _, r := range Routes() {
		s.routes[r.Scope] = r
	}
	return s
}

// Supports reports whether bcflow acts on scope.
func (s *Starter) Supports(scope string) bool {
	_, ok := s.routes[scope]
	return ok
}

// Dispatch starts or signals the workflow ev concerns. It returns only once
// Temporal has durably accepted the start or signal, so the caller may
// acknowledge the webhook. A *ParseError means the event lacks what its
// scope needs (answer 400); any other error means Temporal did not accept
// it (answer 503 so BigCommerce retries).
func (s *Starter) Dispatch(ctx context.Context, ev Event) (Result, error) {
	r, ok := s.routes[ev.Scope]
	if !ok {
		return Result{Action: ActionIgnored, Scope: ev.Scope}, nil
	}
	t, err := r.target(ev)
	if err != nil {
		return Result{}, err
	}
	res := Result{Scope: ev.Scope, WorkflowID: t.id}
	if r.mode == signalOnly {
		err := s.client.SignalWorkflow(ctx, t.id, "", r.Signal, t.signal)
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound):
			res.Action = ActionNoWorkflow
			return res, nil
		case err != nil:
			return Result{}, fmt.Errorf("starter: signal %s to %s: %w", r.Signal, t.id, err)
		}
		res.Action = ActionSignalled
		return res, nil
	}
	run, err := s.client.SignalWithStartWorkflow(ctx, t.id, r.Signal, t.signal, client.StartWorkflowOptions{
		ID:                    t.id,
		TaskQueue:             s.taskQueue,
		WorkflowIDReusePolicy: r.reuse,
		TypedSearchAttributes: temporal.NewSearchAttributes(t.attrs...),
	}, r.Workflow, t.input)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &already):
		res.Action = ActionClosed
		return res, nil
	case err != nil:
		return Result{}, fmt.Errorf("starter: signal-with-start %s %s: %w", r.Workflow, t.id, err)
	}
	res.RunID = run.GetRunID()
	res.Action = ActionSignalled
	return res, nil
}

// Unsubscribe sends SignalUnsubscribed to every running flow of the
// customer with this email (found by the BcCustomerEmail search
// attribute) and returns how many it reached.
func (s *Starter) Unsubscribe(ctx context.Context, email, reason string) (int, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || strings.ContainsAny(email, `"'\`) {
		return 0, &ParseError{Field: "email", Message: "missing or contains quotes"}
	}
	query := fmt.Sprintf(`%s = "%s" AND ExecutionStatus = "Running"`, workflows.SearchCustomerEmail.GetName(), email)
	var token []byte
	n := 0
	for {
		resp, err := s.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token})
		if err != nil {
			return n, fmt.Errorf("starter: find flows of %s: %w", email, err)
		}
		for _, ex := range resp.GetExecutions() {
			err := s.client.SignalWorkflow(ctx, ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId(), workflows.SignalUnsubscribed,
				workflows.Unsubscribed{Email: email, Reason: reason})
			var notFound *serviceerror.NotFound
			if err != nil && !errors.As(err, &notFound) {
				return n, fmt.Errorf("starter: signal unsubscribe to %s: %w", ex.GetExecution().GetWorkflowId(), err)
			}
			if err == nil {
				n++
			}
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return n, nil
		}
	}
}

// AwardBonus starts the LoyaltyBonus workflow of a reported bonus. The id
// is derived from the bonus, so a repeated report awards nothing twice:
// a run of it still running or completed rejects the start (and the
// ledger entry is unique per bonus besides); a failed, terminated, timed
// out or cancelled one may be started again, as every route allows
// (ALLOW_DUPLICATE_FAILED_ONLY). It reports whether this call started it.
func (s *Starter) AwardBonus(ctx context.Context, in workflows.LoyaltyBonusInput) (started bool, workflowID string, err error) {
	o := bonusStartOptions(in, s.taskQueue)
	id := o.ID
	_, err = s.client.ExecuteWorkflow(ctx, o, workflows.LoyaltyBonusWorkflowName, in)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &already) {
		return false, id, nil
	}
	if err != nil {
		return false, id, fmt.Errorf("starter: start %s: %w", id, err)
	}
	return true, id, nil
}

// bonusStartOptions are the options of AwardBonus's start: the bonus's id,
// ALLOW_DUPLICATE_FAILED_ONLY with the already-started error, and the
// store, flow and customer search attributes.
func bonusStartOptions(in workflows.LoyaltyBonusInput, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID: workflows.LoyaltyBonusID(in), TaskQueue: taskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SearchStoreHash.ValueSet(in.StoreHash),
			workflows.SearchFlow.ValueSet(workflows.FlowLoyaltyBonus),
			workflows.SearchCustomerID.ValueSet(strconv.FormatInt(in.CustomerID, 10)),
		),
	}
}
