package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/store"
)

// TrackEvent records a custom event about a contact at the messaging
// provider (identified by email, or by phone without one), so the
// merchant's own automations can react to it.
//
// Providers do not deduplicate events, so an event with a Key is tracked
// once from the shopper's point of view: it is claimed in the store before
// the request and confirmed after the provider took it. A retry (of the
// activity, or a later run of the same workflow) finds the claim confirmed
// and tracks nothing; a failed track leaves it unconfirmed and the
// activity's error makes Temporal retry it until it is confirmed. Only a
// request whose answer was lost can still be recorded twice. Without a Key
// (activities scheduled before keys existed) the event is tracked as is.
func (a *Activities) TrackEvent(ctx context.Context, in EventInput) error {
	if in.Email == "" && in.Phone == "" {
		return temporal.NewNonRetryableApplicationError("track event "+in.Name+": no email or phone to identify the contact", ErrTypeInvalid, nil)
	}
	if in.Key != "" {
		claim, err := a.Store.ClaimEvent(ctx, in.StoreHash, in.Key, in.Name, a.now())
		if errors.Is(err, store.ErrInvalid) {
			return temporal.NewNonRetryableApplicationError("track event "+in.Name+": "+err.Error(), ErrTypeInvalid, err)
		}
		if err != nil {
			return fmt.Errorf("track event %s: %w", in.Name, err)
		}
		if claim.Status == store.EventConfirmed {
			return nil
		}
	}
	e := messaging.Event{Name: in.Name, Email: in.Email, EventProperties: in.Properties, ContactProperties: in.ContactProperties, Date: in.At}
	if in.Email == "" {
		e.Phone = in.Phone
	}
	if err := a.Messaging.TrackEvent(ctx, e); err != nil {
		return classify("track event "+in.Name, err)
	}
	if in.Key == "" {
		return nil
	}
	if err := a.Store.ConfirmEvent(context.WithoutCancel(ctx), in.StoreHash, in.Key, a.now()); err != nil {
		return fmt.Errorf("track event %s: confirm: %w", in.Name, err)
	}
	return nil
}

// EventConfirmed reports whether the event (in.StoreHash, in.Key) was
// tracked and confirmed, by this run or an earlier one. A workflow asks it
// before work that only matters when the event is still to be tracked; a
// claimed but unconfirmed event (a track that failed) answers false, so it
// is tracked again.
func (a *Activities) EventConfirmed(ctx context.Context, in EventInput) (bool, error) {
	c, err := a.Store.GetEventClaim(ctx, in.StoreHash, in.Key)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("event %s confirmed: %w", in.Name, err)
	}
	return c.Status == store.EventConfirmed, nil
}

// contactTagsResource is the sync_state resource under which bcflow keeps
// the tag set it last wrote to a contact (by lower-cased email).
func contactTagsResource(email string) string { return "contact-tags/" + lower(email) }

// UpsertContactTags adds tags to the contact at the messaging provider.
// Providers replace a contact's tag set as a whole, so bcflow keeps the set
// it wrote last (in the store's sync state) and writes the union; adding the
// same tags again is harmless, which makes retries safe.
func (a *Activities) UpsertContactTags(ctx context.Context, in ContactTagsInput) (ContactTags, error) {
	if in.Email == "" {
		return ContactTags{}, temporal.NewNonRetryableApplicationError("tag contact: no email", ErrTypeInvalid, nil)
	}
	resource := contactTagsResource(in.Email)
	var tags []string
	st, err := a.Store.GetSyncState(ctx, in.StoreHash, resource)
	switch {
	case err == nil:
		tags = splitTags(st.Cursor)
	case !errors.Is(err, store.ErrNotFound):
		return ContactTags{}, fmt.Errorf("tag contact: read known tags: %w", err)
	}
	for _, t := range in.Tags {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	slices.Sort(tags)
	err = a.Messaging.UpsertContact(ctx, messaging.Contact{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Tags: tags})
	if err != nil {
		return ContactTags{}, classify("tag contact", err)
	}
	if err := a.Store.PutSyncState(ctx, store.SyncState{StoreHash: in.StoreHash, Resource: resource, Cursor: strings.Join(tags, ","),
		UpdatedAt: a.now()}); err != nil {
		return ContactTags{}, fmt.Errorf("tag contact: remember tags: %w", err)
	}
	return ContactTags{Tags: tags}, nil
}

func splitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// RecordGoal records that an order reached a goal, once per (store, order,
// goal). Fresh is false only when another run recorded it before: a retry of
// this activity (same workflow id and time) still answers fresh.
func (a *Activities) RecordGoal(ctx context.Context, in GoalInput) (GoalRecord, error) {
	fresh, err := a.Store.RecordGoal(ctx, store.GoalReached{StoreHash: in.StoreHash, OrderID: in.OrderID, CustomerKey: in.CustomerKey,
		Goal: in.Goal, WorkflowID: in.WorkflowID, At: in.At})
	if errors.Is(err, store.ErrInvalid) {
		return GoalRecord{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, err)
	}
	if err != nil {
		return GoalRecord{}, fmt.Errorf("record goal: %w", err)
	}
	if fresh {
		return GoalRecord{Fresh: true}, nil
	}
	prev, err := a.Store.GetGoal(ctx, in.StoreHash, in.OrderID, in.Goal)
	if err != nil {
		return GoalRecord{}, fmt.Errorf("record goal: read the earlier record: %w", err)
	}
	return GoalRecord{Fresh: prev.WorkflowID == in.WorkflowID && prev.At.Equal(in.At.UTC().Truncate(time.Microsecond))}, nil
}
