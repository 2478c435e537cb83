package starter

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/workflows"
)

// Re-drive limits.
const (
	// RedriveDefaultLimit is how many runs one re-drive handles by default.
	RedriveDefaultLimit = 100
	// RedriveMaxLimit bounds one re-drive.
	RedriveMaxLimit = 1000
)

var (
	flowNamePattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	workflowIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9/._:-]{0,254}$`)
)

// RedriveRequest selects the closed-but-unfinished runs to start again. Every
// field is optional; the filters combine.
type RedriveRequest struct {
	// StoreHash keeps runs of one store (BcStoreHash).
	StoreHash string `json:"store,omitempty"`
	// Flow keeps runs of one flow (BcFlow), e.g. "cart-recovery".
	Flow string `json:"flow,omitempty"`
	// WorkflowID keeps the runs of one workflow id.
	WorkflowID string `json:"workflow_id,omitempty"`
	// Limit bounds how many workflow ids are handled (default
	// RedriveDefaultLimit, at most RedriveMaxLimit).
	Limit int `json:"limit,omitempty"`
	// DryRun lists what would be re-driven and starts nothing.
	DryRun bool `json:"dry_run,omitempty"`
}

// Check validates r and fills in its default limit; errors are *ParseError.
func (r *RedriveRequest) Check() error {
	if r.StoreHash != "" {
		if err := CheckStoreHash(r.StoreHash); err != nil {
			return &ParseError{Field: "store", Message: err.(*ParseError).Message}
		}
	}
	if r.Flow != "" && !flowNamePattern.MatchString(r.Flow) {
		return &ParseError{Field: "flow", Message: `must be a flow name such as "cart-recovery"`}
	}
	if r.WorkflowID != "" && !workflowIDPattern.MatchString(r.WorkflowID) {
		return &ParseError{Field: "workflow_id", Message: `must be a bcflow workflow id such as "cart/{store}/{cart}"`}
	}
	switch {
	case r.Limit == 0:
		r.Limit = RedriveDefaultLimit
	case r.Limit < 0 || r.Limit > RedriveMaxLimit:
		return &ParseError{Field: "limit", Message: "must be 1 to " + strconv.Itoa(RedriveMaxLimit)}
	}
	return nil
}

// Redriven is one workflow a re-drive handled.
type Redriven struct {
	WorkflowID   string `json:"workflow_id"`
	WorkflowType string `json:"workflow_type"`
	// Status is the closed run's status: Failed, Terminated or TimedOut.
	Status string `json:"status"`
	// FailedRunID is the closed run re-driven.
	FailedRunID string `json:"failed_run_id"`
	// NewRunID is the run started (empty on a dry run or when skipped).
	NewRunID string `json:"new_run_id,omitempty"`
	// Skipped says why nothing was started: a newer run of the id is open
	// or completed.
	Skipped string `json:"skipped,omitempty"`
}

// RedriveReport is what Redrive did.
type RedriveReport struct {
	DryRun   bool       `json:"dry_run"`
	Query    string     `json:"query"`
	Redriven []Redriven `json:"redriven"`
}

// redriveStatuses are the closed statuses ALLOW_DUPLICATE_FAILED_ONLY lets
// start again.
const redriveStatuses = `(ExecutionStatus = "Failed" OR ExecutionStatus = "Terminated" OR ExecutionStatus = "TimedOut")`

// Redrive finds runs that failed, were terminated or timed out (Temporal
// visibility, filtered by the BcStoreHash and BcFlow search attributes) and
// starts each workflow id again with its first run's input, workflow type,
// task queue and search attributes, under ALLOW_DUPLICATE_FAILED_ONLY: a
// workflow whose latest run is open or completed is left alone (Skipped).
// Each workflow id is handled once, from its newest closed-unfinished run.
func (s *Starter) Redrive(ctx context.Context, req RedriveRequest) (RedriveReport, error) {
	if err := req.Check(); err != nil {
		return RedriveReport{}, err
	}
	query := redriveStatuses
	if req.StoreHash != "" {
		query += fmt.Sprintf(` AND %s = %q`, workflows.SearchStoreHash.GetName(), req.StoreHash)
	}
	if req.Flow != "" {
		query += fmt.Sprintf(` AND %s = %q`, workflows.SearchFlow.GetName(), req.Flow)
	}
	if req.WorkflowID != "" {
		query += fmt.Sprintf(` AND WorkflowId = %q`, req.WorkflowID)
	}
	rep := RedriveReport{DryRun: req.DryRun, Query: query, Redriven: []Redriven{}}
	seen := map[string]bool{}
	var token []byte
	for len(rep.Redriven) < req.Limit {
		resp, err := s.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token})
		if err != nil {
			return rep, fmt.Errorf("starter: list runs to re-drive: %w", err)
		}
		for _, ex := range resp.GetExecutions() {
			id, runID := ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId()
			if seen[id] || len(rep.Redriven) >= req.Limit {
				continue
			}
			seen[id] = true
			r := Redriven{WorkflowID: id, WorkflowType: ex.GetType().GetName(), Status: statusName(ex.GetStatus()), FailedRunID: runID}
			if !req.DryRun {
				newRun, skipped, err := s.restart(ctx, id, runID)
				if err != nil {
					return rep, err
				}
				r.NewRunID, r.Skipped = newRun, skipped
			}
			rep.Redriven = append(rep.Redriven, r)
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			break
		}
	}
	return rep, nil
}

// restart starts id again with the input of run runID's first event.
func (s *Starter) restart(ctx context.Context, id, runID string) (newRunID, skipped string, err error) {
	it := s.client.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return "", "", fmt.Errorf("starter: re-drive %s: run %s has no history", id, runID)
	}
	first, err := it.Next()
	if err != nil {
		return "", "", fmt.Errorf("starter: re-drive %s: read history of run %s: %w", id, runID, err)
	}
	started := first.GetWorkflowExecutionStartedEventAttributes()
	if started == nil {
		return "", "", fmt.Errorf("starter: re-drive %s: run %s does not begin with its start event", id, runID)
	}
	args := make([]any, 0, len(started.GetInput().GetPayloads()))
	for _, p := range started.GetInput().GetPayloads() {
		args = append(args, converter.NewRawValue(p))
	}
	attrs, err := typedSearchAttributes(started.GetSearchAttributes())
	if err != nil {
		return "", "", fmt.Errorf("starter: re-drive %s: %w", id, err)
	}
	opts := client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                started.GetTaskQueue().GetName(),
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    attrs,
	}
	if d := started.GetWorkflowExecutionTimeout(); d != nil {
		opts.WorkflowExecutionTimeout = d.AsDuration()
	}
	if d := started.GetWorkflowRunTimeout(); d != nil {
		opts.WorkflowRunTimeout = d.AsDuration()
	}
	run, err := s.client.ExecuteWorkflow(ctx, opts, started.GetWorkflowType().GetName(), args...)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &already) {
		return "", "a newer run is open or completed", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("starter: re-drive %s: start: %w", id, err)
	}
	return run.GetRunID(), "", nil
}

// typedSearchAttributes decodes the bcflow search attributes of a start
// event, so the new run is found as the old one was.
func typedSearchAttributes(sa *commonpb.SearchAttributes) (temporal.SearchAttributes, error) {
	dc := converter.GetDefaultDataConverter()
	var updates []temporal.SearchAttributeUpdate
	for name, typ := range workflows.SearchAttributes() {
		p, ok := sa.GetIndexedFields()[name]
		if !ok {
			continue
		}
		switch typ {
		case enumspb.INDEXED_VALUE_TYPE_KEYWORD:
			var v string
			if err := dc.FromPayload(p, &v); err != nil {
				return temporal.SearchAttributes{}, fmt.Errorf("search attribute %s: %w", name, err)
			}
			updates = append(updates, temporal.NewSearchAttributeKeyKeyword(name).ValueSet(v))
		case enumspb.INDEXED_VALUE_TYPE_INT:
			var v int64
			if err := dc.FromPayload(p, &v); err != nil {
				return temporal.SearchAttributes{}, fmt.Errorf("search attribute %s: %w", name, err)
			}
			updates = append(updates, temporal.NewSearchAttributeKeyInt64(name).ValueSet(v))
		}
	}
	return temporal.NewSearchAttributes(updates...), nil
}

// statusName is the visibility query spelling of a closed status.
func statusName(st enumspb.WorkflowExecutionStatus) string {
	switch st {
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "Failed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "Terminated"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "TimedOut"
	}
	return st.String()
}
