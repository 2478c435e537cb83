// Package schedules keeps bcflow's Temporal Schedules: the recurring runs
// (today the daily loyalty birthday bonus) that no webhook starts. Workflows
// never create schedules; the CLI calls EnsureSchedules when a worker or
// `bcflow dev` starts, and again whenever it wants the schedules brought
// back to their definition.
package schedules

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/workflows"
)

// LoyaltyBirthdaysScheduleID is the id of the daily birthday-bonus schedule.
const LoyaltyBirthdaysScheduleID = "bcflow-loyalty-birthdays"

// LoyaltyBirthdaysWorkflowID prefixes the id of each scheduled run (the
// server appends the scheduled time).
const LoyaltyBirthdaysWorkflowID = "loyalty-birthdays"

// BirthdayHourUTC is when the birthday run starts each day: at 12:00 UTC the
// UTC date is the local date everywhere from UTC-12 to UTC+11, so customers
// get their bonus on their birthday whatever the store's time zone.
const BirthdayHourUTC = 12

// EnsureSchedules creates bcflow's schedules on taskQueue, or updates the
// existing ones to their current definition (spec, action and policies;
// a schedule's paused state and note are kept). It is safe to call from
// several processes at once.
func EnsureSchedules(ctx context.Context, c client.Client, taskQueue string, stores []string) error {
	sc := c.ScheduleClient()
	for _, opts := range Definitions(taskQueue, stores) {
		if err := ensure(ctx, sc, opts); err != nil {
			return err
		}
	}
	return nil
}

// Definitions returns bcflow's schedules as EnsureSchedules creates them:
// the daily loyalty birthdays, the hourly webhook reconciliation of
// stores (BigCommerce deactivates hooks after failed retries or 90 quiet
// days; the reconciliation also runs once right away when created), and
// each store's sync reconciles (catalog hourly, customers and orders
// daily) and its daily time-based segment run.
func Definitions(taskQueue string, stores []string) []client.ScheduleOptions {
	defs := []client.ScheduleOptions{{
		ID:   workflows.HookReconcileScheduleID,
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Hour}}},
		Action: &client.ScheduleWorkflowAction{
			ID:        workflows.HookReconcileScheduleID,
			Workflow:  workflows.HookReconcileWorkflowName,
			Args:      []any{workflows.HookReconcileInput{Stores: stores}},
			TaskQueue: taskQueue,
		},
		Overlap:            enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		TriggerImmediately: true,
		Note:               "created by bcflow",
	}, {
		ID: LoyaltyBirthdaysScheduleID,
		Spec: client.ScheduleSpec{
			Calendars: []client.ScheduleCalendarSpec{{
				Second: []client.ScheduleRange{{Start: 0}}, Minute: []client.ScheduleRange{{Start: 0}},
				Hour:    []client.ScheduleRange{{Start: BirthdayHourUTC}},
				Comment: "daily loyalty birthday bonuses",
			}},
			TimeZoneName: "UTC",
		},
		Action: &client.ScheduleWorkflowAction{
			ID:                    LoyaltyBirthdaysWorkflowID,
			Workflow:              workflows.LoyaltyBirthdaysWorkflowName,
			Args:                  []any{workflows.LoyaltyBirthdaysInput{}},
			TaskQueue:             taskQueue,
			TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SearchFlow.ValueSet(workflows.FlowLoyaltyBirthdays)),
		},
		// One run at a time; a day missed while Temporal was down runs once
		// when it is back (the run awards the day it was scheduled for).
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: 24 * time.Hour,
		Note:          "created by bcflow",
	}}
	for _, store := range stores {
		defs = append(defs, reconcile(taskQueue, store, workflows.SyncReconcileProducts, time.Hour),
			reconcile(taskQueue, store, workflows.SyncReconcileCustomers, 24*time.Hour),
			segmentsDaily(taskQueue, store))
	}
	return defs
}

// SegmentsScheduleID is the id of a store's daily segment run.
func SegmentsScheduleID(storeHash string) string { return "bcflow-segments-" + storeHash }

// SegmentsHourUTC is when a store's daily segment run starts.
const SegmentsHourUTC = 3

// segmentsDaily is a store's daily segment run: a SegmentRecompute of the
// time-based segments (older_than, within) for the shoppers whose dates
// can have crossed a bound since the last run. A store without segments
// runs a pass over none.
func segmentsDaily(taskQueue, storeHash string) client.ScheduleOptions {
	return client.ScheduleOptions{
		ID: SegmentsScheduleID(storeHash),
		Spec: client.ScheduleSpec{
			Calendars: []client.ScheduleCalendarSpec{{
				Second: []client.ScheduleRange{{Start: 0}}, Minute: []client.ScheduleRange{{Start: 0}},
				Hour:    []client.ScheduleRange{{Start: SegmentsHourUTC}},
				Comment: "daily time-based segment evaluation",
			}},
			TimeZoneName: "UTC",
		},
		Action: &client.ScheduleWorkflowAction{
			ID:        workflows.SegmentRecomputeID(storeHash),
			Workflow:  workflows.SegmentRecomputeWorkflowName,
			Args:      []any{workflows.SegmentRecomputeInput{StoreHash: storeHash, TimeOnly: true}},
			TaskQueue: taskQueue,
			TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SearchFlow.ValueSet(workflows.FlowSegmentRecompute),
				workflows.SearchStoreHash.ValueSet(storeHash)),
		},
		// A day missed while Temporal was down runs once when it is back:
		// the run covers every date since the last one.
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: 24 * time.Hour,
		Note:          "created by bcflow",
	}
}

// ReconcileScheduleID is the id of a store's reconcile schedule of kind.
func ReconcileScheduleID(storeHash, kind string) string {
	return "bcflow-sync-" + storeHash + "-" + kind
}

// reconcile is a store's periodic sync of kind: what missed webhooks lost
// since the resources' last completed sync (hourly for the catalog, daily
// for customers and orders, as the Tajo guide does it). A resource never
// synced is left to an explicit historical sync.
func reconcile(taskQueue, storeHash, kind string, every time.Duration) client.ScheduleOptions {
	return client.ScheduleOptions{
		ID:   ReconcileScheduleID(storeHash, kind),
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}},
		Action: &client.ScheduleWorkflowAction{
			ID:        workflows.StoreSyncID(storeHash, kind),
			Workflow:  workflows.StoreSyncWorkflowName,
			Args:      []any{workflows.StoreSyncInput{StoreHash: storeHash, Kind: kind}},
			TaskQueue: taskQueue,
			TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SearchFlow.ValueSet(workflows.FlowStoreSync),
				workflows.SearchStoreHash.ValueSet(storeHash)),
		},
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "created by bcflow",
	}
}

func ensure(ctx context.Context, sc client.ScheduleClient, opts client.ScheduleOptions) error {
	_, err := sc.Create(ctx, opts)
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("schedules: create %s: %w", opts.ID, err)
	}
	h := sc.GetHandle(ctx, opts.ID)
	err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		s := in.Description.Schedule
		spec := opts.Spec
		s.Spec = &spec
		s.Action = opts.Action
		s.Policy = &client.SchedulePolicies{Overlap: opts.Overlap, CatchupWindow: opts.CatchupWindow, PauseOnFailure: opts.PauseOnFailure}
		return &client.ScheduleUpdate{Schedule: &s}, nil
	}})
	if err != nil {
		return fmt.Errorf("schedules: update %s: %w", opts.ID, err)
	}
	return nil
}
