package schedules

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/workflows"
)

func checkBirthdaySchedule(t *testing.T, o client.ScheduleOptions) {
	t.Helper()
	if o.ID != LoyaltyBirthdaysScheduleID || o.Overlap != enumspb.SCHEDULE_OVERLAP_POLICY_SKIP || o.CatchupWindow != 24*time.Hour {
		t.Fatalf("options %+v", o)
	}
	if len(o.Spec.Calendars) != 1 || o.Spec.TimeZoneName != "UTC" || o.Spec.Calendars[0].Hour[0].Start != BirthdayHourUTC {
		t.Fatalf("spec %+v", o.Spec)
	}
	a, ok := o.Action.(*client.ScheduleWorkflowAction)
	if !ok || a.Workflow != workflows.LoyaltyBirthdaysWorkflowName || a.TaskQueue != "tq" || a.ID != LoyaltyBirthdaysWorkflowID {
		t.Fatalf("action %+v", o.Action)
	}
	if in, ok := a.Args[0].(workflows.LoyaltyBirthdaysInput); !ok || in.Date != "" || len(in.Stores) != 0 {
		t.Fatalf("args %+v", a.Args)
	}
	if v, ok := a.TypedSearchAttributes.GetKeyword(workflows.SearchFlow); !ok || v != workflows.FlowLoyaltyBirthdays {
		t.Fatalf("search attributes %v", a.TypedSearchAttributes)
	}
}

func TestEnsureSchedulesCreates(t *testing.T) {
	c, sc := &mocks.Client{}, &mocks.ScheduleClient{}
	c.On("ScheduleClient").Return(sc)
	sc.On("Create", mock.Anything, mock.Anything).Return(&mocks.ScheduleHandle{}, nil).Run(func(args mock.Arguments) {
		checkBirthdaySchedule(t, args.Get(1).(client.ScheduleOptions))
	}).Once()
	if err := EnsureSchedules(context.Background(), c, "tq"); err != nil {
		t.Fatal(err)
	}
	sc.AssertExpectations(t)
}

func TestEnsureSchedulesUpdatesExisting(t *testing.T) {
	c, sc, h := &mocks.Client{}, &mocks.ScheduleClient{}, &mocks.ScheduleHandle{}
	c.On("ScheduleClient").Return(sc)
	sc.On("Create", mock.Anything, mock.Anything).Return(nil, temporal.ErrScheduleAlreadyRunning)
	sc.On("GetHandle", mock.Anything, LoyaltyBirthdaysScheduleID).Return(h)
	var update *client.ScheduleUpdate
	h.On("Update", mock.Anything, mock.Anything).Return(nil).Run(func(args mock.Arguments) {
		opts := args.Get(1).(client.ScheduleUpdateOptions)
		// An existing schedule on an old hour, paused by an operator.
		old := client.ScheduleDescription{Schedule: client.Schedule{
			Spec:   &client.ScheduleSpec{CronExpressions: []string{"0 3 * * *"}},
			Action: &client.ScheduleWorkflowAction{Workflow: "Old", TaskQueue: "old"},
			State:  &client.ScheduleState{Paused: true, Note: "paused for maintenance"},
		}}
		var err error
		if update, err = opts.DoUpdate(client.ScheduleUpdateInput{Description: old}); err != nil {
			t.Fatal(err)
		}
	})
	if err := EnsureSchedules(context.Background(), c, "tq"); err != nil {
		t.Fatal(err)
	}
	s := update.Schedule
	checkBirthdaySchedule(t, client.ScheduleOptions{ID: LoyaltyBirthdaysScheduleID, Spec: *s.Spec, Action: s.Action,
		Overlap: s.Policy.Overlap, CatchupWindow: s.Policy.CatchupWindow})
	if len(s.Spec.CronExpressions) != 0 || !s.State.Paused || s.State.Note != "paused for maintenance" {
		t.Fatalf("updated schedule keeps state, drops the old spec: %+v %+v", s.Spec, s.State)
	}
}

func TestEnsureSchedulesReportsErrors(t *testing.T) {
	c, sc := &mocks.Client{}, &mocks.ScheduleClient{}
	c.On("ScheduleClient").Return(sc)
	boom := errors.New("unavailable")
	sc.On("Create", mock.Anything, mock.Anything).Return(nil, boom)
	if err := EnsureSchedules(context.Background(), c, "tq"); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	h := &mocks.ScheduleHandle{}
	sc2 := &mocks.ScheduleClient{}
	c2 := &mocks.Client{}
	c2.On("ScheduleClient").Return(sc2)
	sc2.On("Create", mock.Anything, mock.Anything).Return(nil, temporal.ErrScheduleAlreadyRunning)
	sc2.On("GetHandle", mock.Anything, mock.Anything).Return(h)
	h.On("Update", mock.Anything, mock.Anything).Return(boom)
	if err := EnsureSchedules(context.Background(), c2, "tq"); !errors.Is(err, boom) {
		t.Fatalf("update err = %v", err)
	}
}
