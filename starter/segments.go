package starter

import (
	"context"
	"errors"
	"regexp"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/bcflow/bcflow/workflows"
)

// ErrRecomputeRunning: a segment recompute of the store is already running;
// a second one is not started beside it (it would redo the same work).
var ErrRecomputeRunning = errors.New("starter: a segment recompute is already running for the store")

// segmentNamePattern is a segment name's shape in the flows file: lower-case
// letters, digits, '_' and '-'.
var segmentNamePattern = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// CheckSegmentName returns a *ParseError unless name has a segment name's
// shape. Whether the store defines the segment is the caller's question.
func CheckSegmentName(name string) error {
	if !segmentNamePattern.MatchString(name) {
		return &ParseError{Field: "segment", Message: "must be 1 to 64 lower-case letters, digits, '_' and '-'"}
	}
	return nil
}

// CheckSegmentRecomputeInput validates a recompute start: the store hash's
// shape and, when set, the segment's ("" recomputes every segment). Errors
// are *ParseError.
func CheckSegmentRecomputeInput(in workflows.SegmentRecomputeInput) error {
	if err := CheckStoreHash(in.StoreHash); err != nil {
		return err
	}
	if in.Segment != "" {
		return CheckSegmentName(in.Segment)
	}
	return nil
}

// segmentRecomputeStartOptions are the options of a recompute start, the
// sync's policy (exclusiveStartOptions): id segments-recompute/{store}, flow
// segment-recompute; a finished recompute can run again, even while the
// daily Schedule's run is closed.
func segmentRecomputeStartOptions(in workflows.SegmentRecomputeInput, taskQueue string) client.StartWorkflowOptions {
	return exclusiveStartOptions(workflows.SegmentRecomputeID(in.StoreHash), taskQueue, in.StoreHash, workflows.FlowSegmentRecompute)
}

// StartSegmentRecompute starts the SegmentRecompute workflow of storeHash
// on taskQueue: a full evaluation of segment ("" = every segment of the
// store), not only the time-based ones the daily Schedule re-evaluates. It
// returns the run id. A malformed store or segment is a *ParseError; a
// recompute of the store already running is ErrRecomputeRunning.
func StartSegmentRecompute(ctx context.Context, c client.Client, storeHash, segment, taskQueue string) (runID string, err error) {
	in := workflows.SegmentRecomputeInput{StoreHash: storeHash, Segment: segment, TimeOnly: false}
	if err := CheckSegmentRecomputeInput(in); err != nil {
		return "", err
	}
	return startExclusive(ctx, c, segmentRecomputeStartOptions(in, taskQueue), workflows.SegmentRecomputeWorkflowName, in,
		ErrRecomputeRunning)
}

// SegmentRecompute is what Temporal says of a store's latest segment
// recompute: the run (SyncExecution's fields: id, run, status, times) and
// its progress.
type SegmentRecompute struct {
	SyncExecution
	// Progress is the run's progress: its answer to the segments-progress
	// query while it runs, its result once it completed; nil when neither
	// is to be had (a worker that does not answer, a run that failed).
	Progress *workflows.SegmentRecomputeProgress `json:"-"`
	// Summary is the one-line progress the run keeps on its memo ("running
	// 2/5 segments"), for when Progress is nil.
	Summary string `json:"-"`
}

// segmentsProgressMemo is the memo key the SegmentRecompute workflow keeps
// its progress line under.
const segmentsProgressMemo = "segments_progress"

// queryTimeout bounds the progress query and the result read: without a
// worker polling the task queue Temporal holds a query until its caller
// gives up, and the memo answers as well, in less detail.
const queryTimeout = 3 * time.Second

// DescribeSegmentRecompute returns Temporal's view of storeHash's latest
// segment recompute; found is false when none ran (or its history was
// removed after the namespace's retention).
func DescribeSegmentRecompute(ctx context.Context, c client.Client, storeHash string) (rc SegmentRecompute, found bool, err error) {
	if err := CheckStoreHash(storeHash); err != nil {
		return SegmentRecompute{}, false, err
	}
	id := workflows.SegmentRecomputeID(storeHash)
	ex, info, found, err := describeExecution(ctx, c, id)
	if !found || err != nil {
		return SegmentRecompute{}, false, err
	}
	rc.SyncExecution = ex
	rc.Summary = summaryFromMemo(info.GetMemo())
	var p workflows.SegmentRecomputeProgress
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		if v, err := c.QueryWorkflow(qctx, id, rc.RunID, workflows.QuerySegmentsProgress); err == nil && v.Get(&p) == nil {
			rc.Progress = &p
		}
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		// The result is the final progress, read from the history.
		if err := c.GetWorkflow(qctx, id, rc.RunID).Get(qctx, &p); err == nil {
			rc.Progress = &p
		}
	}
	return rc, true, nil
}

// summaryFromMemo reads the progress line a recompute keeps on its memo;
// "" when there is none.
func summaryFromMemo(m *commonpb.Memo) string {
	payload, ok := m.GetFields()[segmentsProgressMemo]
	if !ok {
		return ""
	}
	var line string
	if err := converter.GetDefaultDataConverter().FromPayload(payload, &line); err != nil {
		return ""
	}
	return line
}

// StartSegmentRecompute starts a full segment recompute on the Starter's
// task queue (see the package function StartSegmentRecompute).
func (s *Starter) StartSegmentRecompute(ctx context.Context, storeHash, segment string) (runID string, err error) {
	return StartSegmentRecompute(ctx, s.client, storeHash, segment, s.taskQueue)
}

// DescribeSegmentRecompute returns Temporal's view of a store's segment
// recompute (see the package function DescribeSegmentRecompute).
func (s *Starter) DescribeSegmentRecompute(ctx context.Context, storeHash string) (SegmentRecompute, bool, error) {
	return DescribeSegmentRecompute(ctx, s.client, storeHash)
}
