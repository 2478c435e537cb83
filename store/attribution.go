package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// LastSentMessage returns the newest message sent to a customer of a store
// between from and to whose idempotency key starts with keyPrefix (a flow's
// workflow ids share one: "cart/" for cart recovery); found is false when
// there is none. Attribution uses it: an order by a shopper within the
// window after a reminder counts as recovered by that reminder.
func (s *Store) LastSentMessage(ctx context.Context, storeHash, customerKey, keyPrefix string, from, to time.Time) (msg *Message, found bool, err error) {
	row := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT `+messageCols+` FROM messages
		WHERE store_hash = ? AND customer_key = ? AND status = ? AND idempotency_key LIKE ? AND sent_at >= ? AND sent_at <= ?
		ORDER BY sent_at DESC, id DESC LIMIT 1`),
		storeHash, customerKey, MessageSent, likePrefix(keyPrefix), s.tv(from), s.tv(to))
	m, err := scanMessage(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: last %s message to %s/%s: %w", keyPrefix, storeHash, customerKey, err)
	}
	return m, true, nil
}

// likePrefix is a LIKE pattern matching strings that start with p.
func likePrefix(p string) string {
	out := make([]byte, 0, len(p)+1)
	for i := 0; i < len(p); i++ {
		if p[i] == '%' || p[i] == '_' || p[i] == '\\' {
			continue // ids never hold them; dropping them keeps the pattern literal enough
		}
		out = append(out, p[i])
	}
	return string(out) + "%"
}
