package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/store"
)

// This file holds the loyalty program's adapters: the ledger (awards,
// bonuses, reversals, tiers), an order's refund state, and the search for
// the customers whose birthday it is. The rules (how many points, which
// tier) live in the workflows.

// LoyaltyAccountInput names a customer's loyalty account.
type LoyaltyAccountInput struct {
	StoreHash  string
	CustomerID int64
}

// LoyaltyAccount is a customer's loyalty account.
type LoyaltyAccount struct {
	Balance        int64
	LifetimeEarned int64
	// Tier is the tier last recorded ("" before the first).
	Tier string
}

// GetLoyaltyAccount returns a customer's account (zero for a customer
// without one).
func (a *Activities) GetLoyaltyAccount(ctx context.Context, in LoyaltyAccountInput) (LoyaltyAccount, error) {
	acct, err := a.Store.GetAccount(ctx, in.StoreHash, in.CustomerID)
	if errors.Is(err, store.ErrNotFound) {
		return LoyaltyAccount{}, nil
	}
	if err != nil {
		return LoyaltyAccount{}, fmt.Errorf("loyalty account: %w", err)
	}
	return LoyaltyAccount{Balance: acct.Balance, LifetimeEarned: acct.LifetimeEarned, Tier: acct.Tier}, nil
}

// LoyaltyEntryInput is one ledger entry to append.
type LoyaltyEntryInput struct {
	StoreHash  string
	ChannelID  int
	CustomerID int64
	// OrderID binds the entry to an order (0 for none).
	OrderID int64
	// Kind is LedgerAward, LedgerBonus or LedgerAdjustment.
	Kind   string
	Points int64
	// IdempotencyKey is required without an order; with one, an empty key
	// means one entry per (store, order, kind).
	IdempotencyKey string
	Reason         string
	// At is the entry's time (workflow time, so a retry writes the same).
	At time.Time
}

// LoyaltyEntry says what a ledger write did.
type LoyaltyEntry struct {
	// Inserted is false when the entry was already there (a retry, a
	// duplicate webhook, another run) or there was nothing to take back.
	Inserted bool
	// Points is the stored entry's signed points (the earlier entry's for a
	// duplicate).
	Points int64
	// Account is the account after the write.
	Account LoyaltyAccount
}

// AppendLoyaltyEntry adds one entry to the ledger, exactly once per key (or
// per order and kind), and returns the account after it.
func (a *Activities) AppendLoyaltyEntry(ctx context.Context, in LoyaltyEntryInput) (LoyaltyEntry, error) {
	e, inserted, err := a.Store.AppendLedgerEntry(ctx, store.LedgerEntry{
		IdempotencyKey: in.IdempotencyKey, StoreHash: in.StoreHash, ChannelID: int64(in.ChannelID), CustomerID: in.CustomerID,
		OrderID: in.OrderID, Kind: in.Kind, Points: in.Points, Reason: in.Reason, CreatedAt: in.At,
	})
	if err != nil {
		return LoyaltyEntry{}, ledgerError("append loyalty entry", err)
	}
	return a.loyaltyEntry(ctx, in.StoreHash, in.CustomerID, e, inserted)
}

// LoyaltyReversalInput takes back an order's points after a refund.
type LoyaltyReversalInput struct {
	StoreHash  string
	ChannelID  int
	CustomerID int64
	OrderID    int64
	// Target is the order's total reversal after this one (cumulative):
	// only the difference with earlier reversals is taken.
	Target int64
	// IdempotencyKey identifies the refund state (e.g. the refunded amount),
	// so a redelivered refund takes nothing twice and a second partial
	// refund is not taken for a duplicate.
	IdempotencyKey string
	Reason         string
	At             time.Time
}

// ReverseLoyaltyPoints brings an order's reversals up to in.Target (see
// store.ReverseOrderPoints): never more than the order earned, never below
// a zero balance (the shortfall is written in the entry's reason).
func (a *Activities) ReverseLoyaltyPoints(ctx context.Context, in LoyaltyReversalInput) (LoyaltyEntry, error) {
	e, inserted, err := a.Store.ReverseOrderPoints(ctx, store.LedgerEntry{
		IdempotencyKey: in.IdempotencyKey, StoreHash: in.StoreHash, ChannelID: int64(in.ChannelID), CustomerID: in.CustomerID,
		OrderID: in.OrderID, Reason: in.Reason, CreatedAt: in.At,
	}, in.Target)
	if err != nil {
		return LoyaltyEntry{}, ledgerError("reverse loyalty points", err)
	}
	return a.loyaltyEntry(ctx, in.StoreHash, in.CustomerID, e, inserted)
}

// loyaltyEntry reads the account after a ledger write and evaluates the
// customer's segments (points balance), whether or not the entry was new:
// an earlier attempt may have written it and failed before evaluating.
func (a *Activities) loyaltyEntry(ctx context.Context, storeHash string, customerID int64, e store.LedgerEntry, inserted bool) (LoyaltyEntry, error) {
	if err := a.evaluateCustomer(ctx, storeHash, customerID); err != nil {
		return LoyaltyEntry{}, fmt.Errorf("loyalty entry: %w", err)
	}
	acct, err := a.GetLoyaltyAccount(ctx, LoyaltyAccountInput{StoreHash: storeHash, CustomerID: customerID})
	if err != nil {
		return LoyaltyEntry{}, err
	}
	return LoyaltyEntry{Inserted: inserted, Points: e.Points, Account: acct}, nil
}

func ledgerError(op string, err error) error {
	if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrInsufficientPoints) {
		return temporal.NewNonRetryableApplicationError(op+": "+err.Error(), ErrTypeInvalid, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// LoyaltyTierInput records a customer's tier.
type LoyaltyTierInput struct {
	StoreHash  string
	CustomerID int64
	Tier       string
}

// SetLoyaltyTier records a customer's tier on their account.
func (a *Activities) SetLoyaltyTier(ctx context.Context, in LoyaltyTierInput) error {
	if err := a.Store.SetTier(ctx, in.StoreHash, in.CustomerID, in.Tier); err != nil {
		return fmt.Errorf("set loyalty tier: %w", err)
	}
	if err := a.evaluateCustomer(ctx, in.StoreHash, in.CustomerID); err != nil {
		return fmt.Errorf("set loyalty tier: %w", err)
	}
	return nil
}

// RefundStateInput names an order.
type RefundStateInput struct {
	StoreHash string
	OrderID   int64
}

// RefundState is how much of an order was refunded.
type RefundState struct {
	// Exists is false for a missing or deleted order.
	Exists   bool
	StatusID int
	// TotalIncTax and RefundedAmount are decimal strings in the order's
	// currency.
	TotalIncTax    string
	RefundedAmount string
}

// LoadRefundState reads an order's status, total and refunded amount.
func (a *Activities) LoadRefundState(ctx context.Context, in RefundStateInput) (RefundState, error) {
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return RefundState{}, err
	}
	o, err := bc.GetOrder(ctx, int(in.OrderID))
	if bigcommerce.IsNotFound(err) {
		return RefundState{}, nil
	}
	if err != nil {
		return RefundState{}, classify("load refund state", err)
	}
	return RefundState{Exists: !o.IsDeleted, StatusID: o.StatusID, TotalIncTax: o.TotalIncTax.String(),
		RefundedAmount: o.RefundedAmount.String()}, nil
}

// LoyaltyStores returns the store hashes the worker has credentials for,
// sorted: the stores the daily loyalty run visits.
func (a *Activities) LoyaltyStores(_ context.Context) ([]string, error) {
	out := make([]string, 0, len(a.BigCommerce))
	for h := range a.BigCommerce {
		out = append(out, h)
	}
	slices.Sort(out)
	return out, nil
}

// BirthdaysInput asks for the customers whose birthday falls on a day.
type BirthdaysInput struct {
	StoreHash string
	Month     time.Month
	Day       int
	// AlsoFeb29 also matches birthdays on 29 February (asked on 28
	// February of non-leap years).
	AlsoFeb29 bool
}

// BirthdayCustomer is a customer whose birthday it is.
type BirthdayCustomer struct {
	CustomerID int64
	// ChannelID is the customer's origin channel (0 when unknown).
	ChannelID int
	Email     string
	FirstName string
	LastName  string
	// Birthday is the value the birthday was read from.
	Birthday string
}

// FindBirthdays lists the store's customers whose birthday is in.Month and
// in.Day. BigCommerce has no birthday field of its own; bcflow reads it from
// a custom field of the account signup form or a customer attribute whose
// name is "Birthday", "Birth date", "Date of birth" or "DOB" (any case;
// spaces, '_' and '-' ignored), written YYYY-MM-DD (or a full ISO 8601
// time), MM/DD/YYYY, MM/DD or --MM-DD. Customers without one, or with a
// value in another form, are skipped. It reads every customer page by page,
// heartbeating the page reached so a retry resumes there.
func (a *Activities) FindBirthdays(ctx context.Context, in BirthdaysInput) ([]BirthdayCustomer, error) {
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return nil, err
	}
	attrIDs, err := birthdayAttributes(ctx, bc)
	if err != nil {
		return nil, err
	}
	var progress birthdayProgress
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &progress)
	}
	if progress.Page < 1 {
		progress.Page = 1
	}
	for {
		page, err := bc.GetCustomersWithFields(ctx, bigcommerce.CustomerFilter{Sort: "id:asc",
			PageOptions: bigcommerce.PageOptions{Page: progress.Page, Limit: bigcommerce.MaxPageSize}})
		if err != nil {
			return nil, classify(fmt.Sprintf("find birthdays: customers page %d", progress.Page), err)
		}
		for _, c := range page.Items {
			value := customerBirthday(c, attrIDs)
			if value == "" {
				continue
			}
			m, d, ok := ParseBirthday(value)
			if !ok || !(m == in.Month && d == in.Day || in.AlsoFeb29 && m == time.February && d == 29) {
				continue
			}
			progress.Found = append(progress.Found, BirthdayCustomer{CustomerID: int64(c.ID), ChannelID: c.OriginChannelID,
				Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Birthday: value})
		}
		if !page.HasNext() || len(page.Items) == 0 {
			return progress.Found, nil
		}
		progress.Page++
		activity.RecordHeartbeat(ctx, progress)
	}
}

// birthdayProgress is FindBirthdays' heartbeat: the next page and what the
// pages before it found.
type birthdayProgress struct {
	Page  int
	Found []BirthdayCustomer
}

// birthdayAttributes returns the ids of the store's customer attributes
// named like a birthday. A store API without customer attributes (404)
// has none.
func birthdayAttributes(ctx context.Context, bc *bigcommerce.Client) ([]int, error) {
	var ids []int
	for page := 1; ; page++ {
		p, err := bc.ListCustomerAttributes(ctx, bigcommerce.PageOptions{Page: page, Limit: bigcommerce.MaxPageSize})
		if bigcommerce.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, classify("find birthdays: list customer attributes", err)
		}
		for _, at := range p.Items {
			if isBirthdayName(at.Name) {
				ids = append(ids, at.ID)
			}
		}
		if !p.HasNext() || len(p.Items) == 0 {
			return ids, nil
		}
	}
}

func customerBirthday(c bigcommerce.CustomerWithFields, attrIDs []int) string {
	for _, f := range c.FormFields {
		if isBirthdayName(f.Name) {
			if v := strings.TrimSpace(f.Text()); v != "" {
				return v
			}
		}
	}
	for _, v := range c.Attributes {
		if slices.Contains(attrIDs, v.AttributeID) && strings.TrimSpace(v.Value) != "" {
			return strings.TrimSpace(v.Value)
		}
	}
	return ""
}

func isBirthdayName(name string) bool {
	n := strings.NewReplacer(" ", "", "_", "", "-", "").Replace(lower(name))
	switch n {
	case "birthday", "birthdate", "dateofbirth", "dob":
		return true
	}
	return false
}

// ParseBirthday reads the month and day of a birthday written YYYY-MM-DD (or
// a full ISO 8601 time), MM/DD/YYYY, MM/DD or --MM-DD.
func ParseBirthday(s string) (time.Month, int, bool) {
	s = strings.TrimSpace(s)
	var m, d int
	var err1, err2 error
	switch {
	case strings.HasPrefix(s, "--") && len(s) == 7 && s[4] == '-': // --MM-DD
		m, err1 = strconv.Atoi(s[2:4])
		d, err2 = strconv.Atoi(s[5:7])
	case len(s) >= 10 && s[4] == '-' && s[7] == '-': // YYYY-MM-DD[Thh:mm...]
		m, err1 = strconv.Atoi(s[5:7])
		d, err2 = strconv.Atoi(s[8:10])
		if len(s) > 10 && s[10] != 'T' && s[10] != ' ' {
			return 0, 0, false
		}
	case strings.Count(s, "/") == 2 || strings.Count(s, "/") == 1: // MM/DD[/YYYY]
		parts := strings.Split(s, "/")
		m, err1 = strconv.Atoi(parts[0])
		d, err2 = strconv.Atoi(parts[1])
		if len(parts) == 3 {
			if _, err := strconv.Atoi(parts[2]); err != nil || len(parts[2]) != 4 {
				return 0, 0, false
			}
		}
	default:
		return 0, 0, false
	}
	if err1 != nil || err2 != nil || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m)) {
		return 0, 0, false
	}
	return time.Month(m), d, true
}

// daysIn is the most days month can have (February: 29).
func daysIn(m time.Month) int {
	return time.Date(2024, m+1, 0, 0, 0, 0, 0, time.UTC).Day() // 2024 is a leap year
}
