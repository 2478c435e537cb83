package workflows

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// LoyaltyBirthdaysWorkflowName awards the day's birthday bonuses; a daily
// Temporal Schedule starts it (see package schedules).
const LoyaltyBirthdaysWorkflowName = "LoyaltyBirthdays"

// FlowLoyaltyBirthdays is the BcFlow search attribute and decision-log flow
// of the birthday run.
const FlowLoyaltyBirthdays = "loyalty-birthdays"

// EventLoyaltyBirthdayBonus is tracked for each birthday bonus awarded
// (properties: points, year, balance), so a provider automation can wish
// the customer a happy birthday.
const EventLoyaltyBirthdayBonus = "loyalty_birthday_bonus"

// LoyaltyBirthdaysInput starts a birthday run.
type LoyaltyBirthdaysInput struct {
	// Date is the day whose birthdays are awarded, YYYY-MM-DD; empty means
	// the day (UTC) the schedule planned the run for, or its start day.
	Date string
	// Stores are the stores still to visit; empty means every store the
	// worker has credentials for.
	Stores []string
	// AfterCustomerID skips the first store's customers up to this id (a
	// run continued as new resumes there).
	AfterCustomerID int64
}

// LoyaltyBirthdaysResult counts what a run did.
type LoyaltyBirthdaysResult struct {
	Date string
	// Awarded bonuses, AlreadyAwarded ones found in the ledger (this year's
	// bonus was given by an earlier run), Skipped customers whose program
	// is off or has no birthday bonus.
	Awarded, AlreadyAwarded, Skipped int
}

// birthdayScanOptions: reading every customer of a big store takes a while;
// the activity heartbeats its page.
var birthdayScanOptions = workflow.ActivityOptions{
	StartToCloseTimeout: time.Hour,
	HeartbeatTimeout:    2 * time.Minute,
	RetryPolicy: &temporal.RetryPolicy{InitialInterval: 10 * time.Second, MaximumInterval: 10 * time.Minute,
		NonRetryableErrorTypes: []string{activities.ErrTypeInvalid}},
	ScheduleToCloseTimeout: 12 * time.Hour,
}

// LoyaltyBirthdays awards the birthday bonus of the flows file
// (loyalty.bonuses.birthday, 100 by default) to every customer whose
// birthday is the run's day, in every store, once per customer and year: the
// ledger entry's idempotency key is birthday:{store}:{customer}:{year}, so a
// second run on the same day, a retry or a schedule catch-up awards
// nothing twice. Customers born on 29 February get theirs on 28 February
// in other years. Where birthdays come from is described at
// activities.FindBirthdays. Each bonus recomputes the customer's tier and
// tracks EventLoyaltyBirthdayBonus.
func LoyaltyBirthdays(ctx workflow.Context, in LoyaltyBirthdaysInput) (LoyaltyBirthdaysResult, error) {
	day := workflow.Now(ctx).UTC()
	if t, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(searchScheduledStartTime); ok {
		day = t.UTC() // a catch-up run awards the day it was scheduled for
	}
	if in.Date != "" {
		d, err := time.Parse(time.DateOnly, in.Date)
		if err != nil {
			return LoyaltyBirthdaysResult{}, temporal.NewNonRetryableApplicationError("birthday run: date "+strconv.Quote(in.Date)+" is not YYYY-MM-DD", ErrTypeBadInput, err)
		}
		day = d
	}
	in.Date = day.Format(time.DateOnly)
	res := LoyaltyBirthdaysResult{Date: in.Date}
	var a *activities.Activities
	if len(in.Stores) == 0 {
		sctx := workflow.WithActivityOptions(ctx, storeActivityOptions)
		if err := workflow.ExecuteActivity(sctx, a.LoyaltyStores).Get(sctx, &in.Stores); err != nil {
			return res, err
		}
	}
	run, err := newFlowRun(ctx, FlowLoyaltyBirthdays, "")
	if err != nil {
		return res, err
	}
	defer run.settle()
	for len(in.Stores) > 0 {
		run.storeHash = in.Stores[0]
		var found []activities.BirthdayCustomer
		fctx := workflow.WithActivityOptions(ctx, birthdayScanOptions)
		if err := workflow.ExecuteActivity(fctx, a.FindBirthdays, activities.BirthdaysInput{
			StoreHash: run.storeHash, Month: day.Month(), Day: day.Day(), AlsoFeb29: day.Month() == time.February && day.Day() == 28 && !isLeap(day.Year()),
		}).Get(fctx, &found); err != nil {
			return res, err
		}
		slices.SortFunc(found, func(x, y activities.BirthdayCustomer) int { return cmp.Compare(x.CustomerID, y.CustomerID) })
		programs := map[int]*config.Loyalty{}
		for _, c := range found {
			if c.CustomerID <= in.AfterCustomerID {
				continue
			}
			if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
				return res, workflow.NewContinueAsNewError(ctx, LoyaltyBirthdaysWorkflowName, in)
			}
			program, ok := programs[c.ChannelID]
			if !ok {
				flows, err := run.resolveFlows(c.ChannelID)
				if err != nil {
					return res, err
				}
				program = flows.Loyalty
				programs[c.ChannelID] = program
			}
			if err := run.birthdayBonus(program, c, day.Year(), &res); err != nil {
				return res, err
			}
			in.AfterCustomerID = c.CustomerID
		}
		in.Stores, in.AfterCustomerID = in.Stores[1:], 0
	}
	return res, nil
}

// searchScheduledStartTime is the search attribute Temporal sets on the
// runs a schedule starts: the time the run was scheduled for.
var searchScheduledStartTime = temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime")

// ErrTypeBadInput is the Temporal error type of a workflow started with
// input it cannot use.
const ErrTypeBadInput = "BadInput"

// birthdayBonus awards one customer's birthday bonus for year, once.
func (f *flowRun) birthdayBonus(program *config.Loyalty, c activities.BirthdayCustomer, year int, res *LoyaltyBirthdaysResult) error {
	f.customerKey = "c:" + strconv.FormatInt(c.CustomerID, 10)
	if program == nil || !program.Enabled || program.Bonuses.Birthday <= 0 {
		res.Skipped++
		return nil
	}
	key := fmt.Sprintf("birthday:%s:%d:%d", f.storeHash, c.CustomerID, year)
	entry, err := f.appendEntry(activities.LoyaltyEntryInput{
		StoreHash: f.storeHash, ChannelID: c.ChannelID, CustomerID: c.CustomerID, Kind: activities.LedgerBonus,
		Points: program.Bonuses.Birthday, IdempotencyKey: key, Reason: fmt.Sprintf("birthday bonus %d", year),
	})
	if err != nil {
		return err
	}
	if !entry.Inserted {
		res.AlreadyAwarded++
		return nil
	}
	res.Awarded++
	f.record("birthday", DecisionAwarded, fmt.Sprintf("%d points, birthday %d", entry.Points, year), map[string]any{"key": key})
	shopper := activities.Shopper{CustomerID: c.CustomerID, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName}
	f.applyTier(program, c.CustomerID, shopper, entry.Account)
	f.trackEvent("birthday", EventLoyaltyBirthdayBonus, shopper,
		map[string]any{"points": entry.Points, "year": year, "balance": entry.Account.Balance, "customer_id": c.CustomerID}, nil)
	return nil
}

func isLeap(year int) bool { return year%4 == 0 && (year%100 != 0 || year%400 == 0) }
