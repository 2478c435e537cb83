package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Message channels.
const (
	ChannelEmail    = "email"
	ChannelSMS      = "sms"
	ChannelWhatsApp = "whatsapp"
)

// Message statuses.
const (
	MessageReserved = "reserved" // reserved, send not yet confirmed
	MessageSent     = "sent"
	MessageFailed   = "failed"
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
	Status            string // MessageReserved, MessageSent or MessageFailed
	ProviderMessageID string
	Error             string    // why it failed, for MessageFailed
	CreatedAt         time.Time // zero means now, on ReserveMessage
	SentAt            time.Time // zero until sent
	UpdatedAt         time.Time
}

const messageCols = `id, idempotency_key, store_hash, channel_id, customer_key, email, phone, channel, template,
	status, provider_message_id, error, created_at, sent_at, updated_at`

func scanMessage(sc interface{ Scan(...any) error }) (*Message, error) {
	m := new(Message)
	err := sc.Scan(&m.ID, &m.IdempotencyKey, &m.StoreHash, &m.ChannelID, &m.CustomerKey, &m.Email, &m.Phone,
		&m.Channel, &m.Template, &m.Status, &m.ProviderMessageID, &m.Error,
		(*dbTime)(&m.CreatedAt), (*dbTime)(&m.SentAt), (*dbTime)(&m.UpdatedAt))
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
		 status, provider_message_id, error, created_at, sent_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', ?, NULL, ?)
		ON CONFLICT DO NOTHING RETURNING `+messageCols),
		m.IdempotencyKey, m.StoreHash, m.ChannelID, m.CustomerKey, strings.TrimSpace(m.Email), strings.TrimSpace(m.Phone),
		m.Channel, m.Template, MessageReserved, s.tv(created), s.tv(created))
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

// MarkMessageSent records that the provider accepted the message. Calling it
// again for a sent message changes nothing. ErrNotFound if the key is
// unknown.
func (s *Store) MarkMessageSent(ctx context.Context, key, providerMessageID string, at time.Time) error {
	at = orNow(at)
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE messages
		SET status = ?, provider_message_id = ?, error = '', sent_at = ?, updated_at = ?
		WHERE idempotency_key = ? AND status <> ?`),
		MessageSent, providerMessageID, s.tv(at), s.tv(at), key, MessageSent)
	if err != nil {
		return fmt.Errorf("store: mark message %q sent: %w", key, err)
	}
	return s.checkMessageUpdate(ctx, res, "sent", key)
}

// MarkMessageFailed records that sending failed, with the reason. A message
// already marked sent stays sent. ErrNotFound if the key is unknown.
func (s *Store) MarkMessageFailed(ctx context.Context, key, reason string, at time.Time) error {
	at = orNow(at)
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE messages SET status = ?, error = ?, updated_at = ?
		WHERE idempotency_key = ? AND status <> ?`),
		MessageFailed, reason, s.tv(at), key, MessageSent)
	if err != nil {
		return fmt.Errorf("store: mark message %q failed: %w", key, err)
	}
	return s.checkMessageUpdate(ctx, res, "failed", key)
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
// that were not failed (reserved ones count, so that concurrent sends cannot
// both slip under a frequency cap). An empty channel counts every channel.
func (s *Store) CountMessagesSince(ctx context.Context, storeHash, customerKey, channel string, since time.Time) (int, error) {
	q := `SELECT COUNT(*) FROM messages WHERE store_hash = ? AND customer_key = ? AND created_at >= ? AND status <> ?`
	args := []any{storeHash, customerKey, s.tv(since), MessageFailed}
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
