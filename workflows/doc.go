// Package workflows holds bcflow's Temporal workflows, one file per flow,
// each reading like the merchant's playbook. Workflows are deterministic:
// every call to the outside world goes through an activity, time through
// workflow.Now and timers, randomness through workflow.SideEffect. CI runs
// Temporal's workflowcheck analyzer on this package.
package workflows
