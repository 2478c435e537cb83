package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Message channels.
const (
	ChannelEmail    = "email"
	ChannelSMS      = "sms"
	ChannelWhatsApp = "whatsapp"
)

// Message statuses: a message is reserved, then attempting from just before
// its request leaves, then sent, refused or unknown. A request that never
// left, or that the provider answered it did not take, puts an attempting
// message back to reserved so that a retry sends it.
const (
	MessageReserved   = "reserved"   // reserved, no request in flight
	MessageAttempting = "attempting" // a request may be in flight or may have gone out
	MessageSent       = "sent"       // the provider accepted it
	MessageRefused    = "refused"    // the provider refused it as it stands (Error says why); nothing went out
	MessageUnknown    = "unknown"    // it may or may not have gone out; never sent again
)

// Message is one outbound message, reserved before it is sent so that each
// idempotency key is sent at most once.
type Message struct {
	ID                int64
	IdempotencyKey    string // derived by the caller, e.g. workflow id + step
	StoreHash         string
	ChannelID         int64
	CustomerKey       string // BigCommerce customer id, or the email for guests
	Email             string
	Phone             string
	Channel           string // ChannelEmail, ChannelSMS or ChannelWhatsApp
	Template          string
	Flow              string // the flow that sent it (the name its decisions use), for the engagement rollups
	Step              string // the flow's step that sent it
	Status            string // one of the Message* statuses
	ProviderMessageID string
	Error             string    // why it was refused, is unknown, or was put back to reserved
	CreatedAt         time.Time // zero means now, on ReserveMessage
	SentAt            time.Time // zero until sent
	UpdatedAt         time.Time
}

const messageCols = `id, idempotency_key, store_hash, channel_id, customer_key, email, phone, channel, template,
	status, provider_message_id, error, created_at, sent_at, updated_at, flow, step`

func scanMessage(sc interface{ Scan(...any) error }) (*Message, error) {
	m := new(Message)
	err := sc.Scan(&m.ID, &m.IdempotencyKey, &m.StoreHash, &m.ChannelID, &m.CustomerKey, &m.Email, &m.Phone,
		&m.Channel, &m.Template, &m.Status, &m.ProviderMessageID, &m.Error,
		(*dbTime)(&m.CreatedAt), (*dbTime)(&m.SentAt), (*dbTime)(&m.UpdatedAt), &m.Flow, &m.Step)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func validChannel(c string) bool {
	return c == ChannelEmail || c == ChannelSMS || c == ChannelWhatsApp
}

// ReserveMessage inserts m as a reserved message unless a message with the
// same idempotency key exists. It returns the stored message: the new
// reservation with reserved == true, or the earlier message (in whatever
// status it is) with reserved == false, in which case the caller must not
// send again. Concurrent calls with one key reserve it exactly once.
// m.Status, m.ID, m.SentAt and m.ProviderMessageID are ignored.
func (s *Store) ReserveMessage(ctx context.Context, m Message) (existing *Message, reserved bool, err error) {
	if m.IdempotencyKey == "" || m.StoreHash == "" {
		return nil, false, fmt.Errorf("store: reserve message %q: idempotency key and store hash are required: %w",
			m.IdempotencyKey, ErrInvalid)
	}
	if !validChannel(m.Channel) {
		return nil, false, fmt.Errorf("store: reserve message %q: unknown channel %q: %w", m.IdempotencyKey, m.Channel, ErrInvalid)
	}
	created := orNow(m.CreatedAt)
	row := s.db.QueryRowContext(ctx, s.rebind(`INSERT INTO messages
		(idempotency_key, store_hash, channel_id, customer_key, email, phone, channel, template,
		 status, provider_message_id, error, created_at, sent_at, updated_at, flow, step)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', ?, NULL, ?, ?, ?)
		ON CONFLICT DO NOTHING RETURNING `+messageCols),
		m.IdempotencyKey, m.StoreHash, m.ChannelID, m.CustomerKey, strings.TrimSpace(m.Email), strings.TrimSpace(m.Phone),
		m.Channel, m.Template, MessageReserved, s.tv(created), s.tv(created), m.Flow, m.Step)
	got, err := scanMessage(row)
	if err == nil {
		return got, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("store: reserve message %q: %w", m.IdempotencyKey, err)
	}
	// Conflict: the key is taken (and committed) already.
	got, err = s.getMessage(ctx, s.db, m.IdempotencyKey)
	if err != nil {
		return nil, false, fmt.Errorf("store: reserve message %q: %w", m.IdempotencyKey, err)
	}
	return got, false, nil
}

// GetMessage returns the message with the idempotency key, or ErrNotFound.
func (s *Store) GetMessage(ctx context.Context, key string) (*Message, error) {
	m, err := s.getMessage(ctx, s.rdb, key)
	if err != nil {
		return nil, fmt.Errorf("store: get message %q: %w", key, err)
	}
	return m, nil
}

func (s *Store) getMessage(ctx context.Context, q queryer, key string) (*Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, s.rebind(`SELECT `+messageCols+` FROM messages WHERE idempotency_key = ?`), key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return m, err
}

// StartMessageAttempt moves a reserved message to attempting, right before
// its request leaves. It reports false, changing nothing, when the message
// is not reserved (another attempt took it, or it ended): the caller must
// read it again. ErrNotFound if the key is unknown.
func (s *Store) StartMessageAttempt(ctx context.Context, key string, at time.Time) (started bool, err error) {
	return s.moveMessage(ctx, key, "start attempt on", MessageAttempting, "", at, MessageReserved)
}

// ReleaseMessage puts an attempting message back to reserved: its request
// never left, or the provider answered that it did not take it, so a retry
// may send it. reason is kept for diagnosis. It reports whether the message
// was attempting.
func (s *Store) ReleaseMessage(ctx context.Context, key, reason string, at time.Time) (bool, error) {
	return s.moveMessage(ctx, key, "release", MessageReserved, reason, at, MessageAttempting)
}

// MarkMessageRefused records that the provider refused the message as it
// stands, with its reason; nothing went out. A sent message stays sent.
// ErrNotFound if the key is unknown.
func (s *Store) MarkMessageRefused(ctx context.Context, key, reason string, at time.Time) error {
	_, err := s.moveMessage(ctx, key, "mark refused", MessageRefused, reason, at, MessageReserved, MessageAttempting, MessageUnknown)
	return err
}

// MarkMessageUnknown records that the message may or may not have gone out
// (the request left and its answer was lost); it is never sent again. A
// sent or refused message keeps its status. ErrNotFound if the key is
// unknown.
func (s *Store) MarkMessageUnknown(ctx context.Context, key, reason string, at time.Time) error {
	_, err := s.moveMessage(ctx, key, "mark unknown", MessageUnknown, reason, at, MessageReserved, MessageAttempting)
	return err
}

// moveMessage sets the message's status to "to" (and its error to reason)
// when its status is one of from, and reports whether it did.
func (s *Store) moveMessage(ctx context.Context, key, what, to, reason string, at time.Time, from ...string) (bool, error) {
	at = orNow(at)
	args := []any{to, reason, s.tv(at), key}
	for _, f := range from {
		args = append(args, f)
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE messages SET status = ?, error = ?, updated_at = ?
		WHERE idempotency_key = ? AND status IN (?`+strings.Repeat(", ?", len(from)-1)+`)`), args...)
	if err != nil {
		return false, fmt.Errorf("store: %s message %q: %w", what, key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: %s message %q: %w", what, key, err)
	}
	if n > 0 {
		return true, nil
	}
	if _, err := s.getMessage(ctx, s.db, key); err != nil {
		return false, fmt.Errorf("store: %s message %q: %w", what, key, err)
	}
	return false, nil
}

// MarkMessageSent records that the provider accepted the message, whatever
// its status was: the provider's answer is the truth. The provider's events
// about the message that arrived before it (RecordMessageEvent held them)
// count now, in the same transaction. Calling it again for a sent message
// changes nothing. ErrNotFound if the key is unknown.
func (s *Store) MarkMessageSent(ctx context.Context, key, providerMessageID string, at time.Time) error {
	at = orNow(at)
	var changed bool
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var m sentMessageRef
		err := tx.QueryRowxContext(ctx, s.rebind(`UPDATE messages
			SET status = ?, provider_message_id = ?, error = '', sent_at = ?, updated_at = ?
			WHERE idempotency_key = ? AND status <> ?
			RETURNING id, store_hash, channel_id, flow, step`),
			MessageSent, providerMessageID, s.tv(at), s.tv(at), key, MessageSent).Scan(&m.id, &m.storeHash, &m.channel, &m.flow, &m.step)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		changed, m.sent = true, at
		if providerMessageID == "" {
			return nil
		}
		return s.adoptEarlyEvents(ctx, tx, providerMessageID, m)
	})
	if err != nil {
		return fmt.Errorf("store: mark message %q sent: %w", key, err)
	}
	if changed {
		return nil
	}
	if _, err := s.getMessage(ctx, s.db, key); err != nil {
		return fmt.Errorf("store: mark message %q sent: %w", key, err)
	}
	return nil
}

// checkMessageUpdate tells "no row changed because none exists" (ErrNotFound)
// from "no row changed because it is already sent" (nil).
func (s *Store) checkMessageUpdate(ctx context.Context, res sql.Result, what, key string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: mark message %q %s: %w", key, what, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := s.getMessage(ctx, s.db, key); err != nil {
		return fmt.Errorf("store: mark message %q %s: %w", key, what, err)
	}
	return nil
}

// CountMessagesSince counts a customer's messages created at or after since
// that were not refused (reserved, attempting and unknown ones count, so
// that concurrent sends cannot both slip under a frequency cap and a
// message that may have gone out is not ignored). An empty channel counts every channel.
func (s *Store) CountMessagesSince(ctx context.Context, storeHash, customerKey, channel string, since time.Time) (int, error) {
	q := `SELECT COUNT(*) FROM messages WHERE store_hash = ? AND customer_key = ? AND created_at >= ? AND status <> ?`
	args := []any{storeHash, customerKey, s.tv(since), MessageRefused}
	if channel != "" {
		q += ` AND channel = ?`
		args = append(args, channel)
	}
	var n int
	if err := s.rdb.QueryRowContext(ctx, s.rebind(q), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count messages for %s/%s: %w", storeHash, customerKey, err)
	}
	return n, nil
}
