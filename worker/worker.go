// Package worker builds the Temporal worker that runs every bcflow workflow
// and activity on one task queue.
package worker

import (
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/workflows"
)

// Options tune the worker; zero values take the defaults below.
type Options struct {
	// MaxConcurrentActivities bounds parallel activity executions
	// (default 200: activities mostly wait on HTTP).
	MaxConcurrentActivities int
	// MaxConcurrentWorkflowTasks bounds parallel workflow tasks (default 100).
	MaxConcurrentWorkflowTasks int
	// MaxCachedWorkflows is the sticky cache size, shared process-wide by the
	// SDK (default 10000): open cart flows mostly sleep, so a big cache
	// saves history replays when their timers fire.
	MaxCachedWorkflows int
	// RetryMaxInterval caps the wait between activity retries (default:
	// one minute for the database, ten for APIs); see workflows.SetRetryCap.
	RetryMaxInterval time.Duration
}

// New returns a worker on taskQueue with every bcflow workflow and the
// activities registered. The caller starts and stops it.
func New(c client.Client, taskQueue string, acts *activities.Activities, opts Options) sdkworker.Worker {
	if opts.MaxConcurrentActivities == 0 {
		opts.MaxConcurrentActivities = 200
	}
	if opts.MaxConcurrentWorkflowTasks == 0 {
		opts.MaxConcurrentWorkflowTasks = 100
	}
	if opts.MaxCachedWorkflows == 0 {
		opts.MaxCachedWorkflows = 10000
	}
	sdkworker.SetStickyWorkflowCacheSize(opts.MaxCachedWorkflows)
	workflows.SetRetryCap(opts.RetryMaxInterval)
	if acts.Segments != nil && acts.Nudger == nil {
		// Segment changes wake the segment workflows on this task queue.
		acts.Nudger = &SegmentNudger{Client: c, TaskQueue: taskQueue}
	}
	w := sdkworker.New(c, taskQueue, sdkworker.Options{
		MaxConcurrentActivityExecutionSize:     opts.MaxConcurrentActivities,
		MaxConcurrentWorkflowTaskExecutionSize: opts.MaxConcurrentWorkflowTasks,
		// A panic or non-determinism error fails the task and keeps retrying
		// it, so a fixed deployment resumes the flow instead of losing it.
		WorkflowPanicPolicy: sdkworker.BlockWorkflow,
		Interceptors:        []interceptor.WorkerInterceptor{&RetryInterceptor{}},
	})
	Register(w, acts)
	return w
}

// Register adds every bcflow workflow and the activities to r.
func Register(r sdkworker.Registry, acts *activities.Activities) {
	RegisterWorkflows(r)
	r.RegisterActivity(acts)
}

// RegisterWorkflows adds every bcflow workflow to r. The replay test uses it
// too, so a workflow cannot be forgotten in one place only.
func RegisterWorkflows(r sdkworker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.Diagnostics, workflow.RegisterOptions{Name: workflows.DiagnosticsWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.CartRecovery, workflow.RegisterOptions{Name: workflows.CartRecoveryWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.LoyaltyBonus, workflow.RegisterOptions{Name: workflows.LoyaltyBonusWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.ContactSync, workflow.RegisterOptions{Name: workflows.ContactSyncWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.HookReconcile, workflow.RegisterOptions{Name: workflows.HookReconcileWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.OrderLifecycle, workflow.RegisterOptions{Name: workflows.OrderLifecycleWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.OrderGoals, workflow.RegisterOptions{Name: workflows.OrderGoalsWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.LoyaltyAward, workflow.RegisterOptions{Name: workflows.LoyaltyAwardWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.ReviewRequest, workflow.RegisterOptions{Name: workflows.ReviewRequestWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.ShipmentSurvey, workflow.RegisterOptions{Name: workflows.ShipmentSurveyWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.OrderStatusCampaign, workflow.RegisterOptions{Name: workflows.OrderStatusCampaignWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.LoyaltyBirthdays, workflow.RegisterOptions{Name: workflows.LoyaltyBirthdaysWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.StoreSync, workflow.RegisterOptions{Name: workflows.StoreSyncWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.CatalogSync, workflow.RegisterOptions{Name: workflows.CatalogSyncWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.SegmentSync, workflow.RegisterOptions{Name: workflows.SegmentSyncWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.SegmentFlow, workflow.RegisterOptions{Name: workflows.SegmentFlowWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.SegmentRecompute, workflow.RegisterOptions{Name: workflows.SegmentRecomputeWorkflowName})
}
