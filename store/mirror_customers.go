package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// MirrorCustomer is a BigCommerce customer as the mirror holds it.
type MirrorCustomer struct {
	ID               int64  `json:"id"`
	Email            string `json:"email"`
	FirstName        string `json:"first_name"`
	LastName         string `json:"last_name"`
	Phone            string `json:"phone"`
	Company          string `json:"company"`
	GroupID          int64  `json:"group_id"`
	ChannelIDs       []int  `json:"channel_ids"`
	AcceptsMarketing bool   `json:"accepts_marketing"`
	StoreCredit      Money  `json:"store_credit"`
	// Country is the ISO 3166-1 alpha-2 code of the first address.
	Country      string `json:"country"`
	AddressCount int    `json:"address_count"`
	// AddressSummary is a short form of the first address, e.g. "Lyon, FR".
	AddressSummary string    `json:"address_summary"`
	DateCreated    time.Time `json:"date_created"`
	DateModified   time.Time `json:"date_modified"`
	// B2BCompanyID and B2BCompanyName are the B2B Edition company, when the
	// store has one for the customer (0 and "" otherwise).
	B2BCompanyID   int64             `json:"b2b_company_id"`
	B2BCompanyName string            `json:"b2b_company_name"`
	Attributes     map[string]string `json:"attributes"`
}

var customersTable = newTableSpec("mirror_customers", `store_hash text, id bigint, email text, email_lc text,
	first_name text, last_name text, phone text, company text, group_id bigint, channel_ids jsonb,
	accepts_marketing boolean, store_credit bigint, country text, address_count integer, address_summary text,
	b2b_company_id bigint, b2b_company_name text, attributes jsonb, date_created timestamptz,
	date_modified timestamptz`)

var shopperCustomersTable = newTableSpec("shopper_stats", `store_hash text, email_lc text, customer_id bigint,
	updated_at timestamptz`)

// UpsertCustomers writes a page of customers in one transaction, with the
// customers rollups (a new customer counts on its date_created in each of
// its channels; an update moves it when its date or channels changed). A
// customer older (DateModified) than its stored row is ignored. The shopper row of each
// customer's email gets its customer id (a guest's earlier orders attach to
// the customer); when a customer's email changes, its orders' figures move
// from the old shopper to the new one.
func (s *Store) UpsertCustomers(ctx context.Context, storeHash string, customers []MirrorCustomer) error {
	if len(customers) == 0 {
		return nil
	}
	if storeHash == "" {
		return fmt.Errorf("store: upsert customers: store hash is required: %w", ErrInvalid)
	}
	customers, err := latestByID(customers, func(c MirrorCustomer) (int64, time.Time) { return c.ID, c.DateModified })
	if err != nil {
		return fmt.Errorf("store: upsert customers: %w", err)
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.lockShoppers(ctx, tx, storeHash); err != nil {
			return err
		}
		stored, err := s.storedCustomers(ctx, tx, storeHash, customers)
		if err != nil {
			return err
		}
		var args, attach, detach []any
		rekey := map[int64]string{}
		bumps := rollupBumps{}
		for _, c := range customers {
			old, exists := stored[c.ID]
			if exists && c.DateModified.Before(old.modified) {
				continue // stale
			}
			if exists {
				bumps.customer(old.created, old.channels, -1)
			}
			bumps.customer(c.DateCreated, c.ChannelIDs, 1)
			key := emailKey(c.Email)
			channels, err := jsonText(nonNil(c.ChannelIDs))
			if err != nil {
				return err
			}
			attrs := c.Attributes
			if attrs == nil {
				attrs = map[string]string{}
			}
			attrText, err := jsonText(attrs)
			if err != nil {
				return err
			}
			args = append(args, storeHash, c.ID, c.Email, key, c.FirstName, c.LastName, c.Phone, c.Company, c.GroupID,
				channels, c.AcceptsMarketing, c.StoreCredit, c.Country, c.AddressCount, c.AddressSummary, c.B2BCompanyID,
				c.B2BCompanyName, attrText, s.ntv(c.DateCreated), s.ntv(c.DateModified))
			if !exists || old.key != key {
				rekey[c.ID] = key
				if exists && old.key != "" {
					detach = append(detach, old.key, c.ID)
				}
			}
			if key != "" {
				attach = append(attach, key, c.ID)
			}
		}
		if err := s.insertRows(ctx, tx, customersTable, args, `
			ON CONFLICT (store_hash, id) DO UPDATE SET email = excluded.email, email_lc = excluded.email_lc,
			first_name = excluded.first_name, last_name = excluded.last_name, phone = excluded.phone,
			company = excluded.company, group_id = excluded.group_id, channel_ids = excluded.channel_ids,
			accepts_marketing = excluded.accepts_marketing, store_credit = excluded.store_credit,
			country = excluded.country, address_count = excluded.address_count,
			address_summary = excluded.address_summary, b2b_company_id = excluded.b2b_company_id,
			b2b_company_name = excluded.b2b_company_name, attributes = excluded.attributes,
			date_created = excluded.date_created, date_modified = excluded.date_modified`); err != nil {
			return fmt.Errorf("write customers: %w", err)
		}
		if err := s.bump(ctx, tx, storeHash, bumps); err != nil {
			return err
		}
		if err := s.setShopperCustomers(ctx, tx, storeHash, detach, attach); err != nil {
			return err
		}
		return s.rekeyCustomerOrders(ctx, tx, storeHash, rekey)
	})
	if err != nil {
		return fmt.Errorf("store: upsert %d customers: %w", len(customers), err)
	}
	return nil
}

type storedCustomer struct {
	key      string
	modified time.Time
	created  time.Time
	channels []int
}

func (s *Store) storedCustomers(ctx context.Context, tx *sqlx.Tx, storeHash string, cs []MirrorCustomer) (map[int64]storedCustomer, error) {
	out := make(map[int64]storedCustomer, len(cs))
	for _, chunk := range chunks(cs, s.batchParams()) {
		args := []any{storeHash}
		for _, c := range chunk {
			args = append(args, c.ID)
		}
		if err := s.readStoredCustomers(ctx, tx, args, out); err != nil {
			return nil, fmt.Errorf("read stored customers: %w", err)
		}
	}
	return out, nil
}

func (s *Store) readStoredCustomers(ctx context.Context, tx *sqlx.Tx, args []any, out map[int64]storedCustomer) error {
	rows, err := tx.QueryContext(ctx, s.rebind(`SELECT id, email_lc, date_modified, date_created, channel_ids FROM mirror_customers
		WHERE store_hash = ? AND id IN (`+inList(len(args)-1)+`)`+s.forUpdate()), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c storedCustomer
		if err := rows.Scan(&id, &c.key, (*dbTime)(&c.modified), (*dbTime)(&c.created), jsonCol{&c.channels}); err != nil {
			return err
		}
		out[id] = c
	}
	return rows.Err()
}

// otherCustomerOfEmail is the customer id a shopper row falls back to when
// its customer leaves the email: another mirrored customer with that email
// (the lowest id), else 0.
const otherCustomerOfEmail = `COALESCE((SELECT MIN(c.id) FROM mirror_customers c
	WHERE c.store_hash = shopper_stats.store_hash AND c.email_lc = shopper_stats.email_lc), 0)`

// setShopperCustomers takes customer ids off the shopper rows of their old
// emails (detach: pairs of email, id; the customers are already written) and sets them on the rows of their
// emails, creating rows of zeros where none exist (attach: pairs).
func (s *Store) setShopperCustomers(ctx context.Context, tx *sqlx.Tx, storeHash string, detach, attach []any) error {
	for _, chunk := range chunks(detach, s.batchParams()&^1) {
		q := `UPDATE shopper_stats SET customer_id = ` + otherCustomerOfEmail + ` WHERE store_hash = ? AND (` +
			strings.TrimSuffix(strings.Repeat(`(email_lc = ? AND customer_id = ?) OR `, len(chunk)/2), ` OR `) + `)`
		if _, err := tx.ExecContext(ctx, s.rebind(q), append([]any{storeHash}, chunk...)...); err != nil {
			return fmt.Errorf("detach customers from shoppers: %w", err)
		}
	}
	if len(attach) == 0 {
		return nil
	}
	type pair struct {
		key string
		id  int64
	}
	pairs := make([]pair, 0, len(attach)/2)
	for i := 0; i < len(attach); i += 2 {
		pairs = append(pairs, pair{attach[i].(string), attach[i+1].(int64)})
	}
	slices.SortFunc(pairs, func(a, b pair) int { return strings.Compare(a.key, b.key) })
	pairs = slices.CompactFunc(pairs, func(a, b pair) bool { return a.key == b.key }) // one row per email
	at := s.tv(now())
	args := make([]any, 0, len(pairs)*4)
	for _, p := range pairs {
		args = append(args, storeHash, p.key, p.id, at)
	}
	err := s.insertRows(ctx, tx, shopperCustomersTable, args,
		` ON CONFLICT (store_hash, email_lc) DO UPDATE SET customer_id = excluded.customer_id`)
	if err != nil {
		return fmt.Errorf("attach customers to shoppers: %w", err)
	}
	return nil
}

// rekeyCustomerOrders moves the orders of the given customers to the shopper
// key given for each ("" meaning: the order's own email), with their
// contributions.
func (s *Store) rekeyCustomerOrders(ctx context.Context, tx *sqlx.Tx, storeHash string, keys map[int64]string) error {
	if len(keys) == 0 {
		return nil
	}
	ids := make([]any, 0, len(keys))
	for id := range keys {
		ids = append(ids, id)
	}
	orders, err := s.storedOrders(ctx, tx, storeHash, `customer_id`, ids)
	if err != nil {
		return err
	}
	deltas := shopperDeltas{}
	moved := map[string][]any{}
	for id, o := range orders {
		key := keys[o.share.customerID]
		if key == "" {
			key = emailKey(o.email)
		}
		if key == o.share.key {
			continue
		}
		share := o.share
		share.key = key
		deltas.move(&o.share, &share)
		moved[key] = append(moved[key], id)
	}
	for key, ids := range moved {
		for _, chunk := range chunks(ids, s.batchParams()) {
			if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE mirror_orders SET email_lc = ? WHERE store_hash = ? AND id IN (`+
				inList(len(chunk))+`)`), append([]any{key, storeHash}, chunk...)...); err != nil {
				return fmt.Errorf("move orders between shoppers: %w", err)
			}
		}
	}
	return deltas.apply(ctx, s, tx, storeHash)
}

// MirrorCustomerByID returns a mirrored customer, or ErrNotFound.
func (s *Store) MirrorCustomerByID(ctx context.Context, storeHash string, id int64) (MirrorCustomer, error) {
	var c MirrorCustomer
	var emailLC string
	err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT `+customersTable.colList+` FROM mirror_customers WHERE store_hash = ? AND id = ?`),
		storeHash, id).Scan(new(string), &c.ID, &c.Email, &emailLC, &c.FirstName, &c.LastName, &c.Phone, &c.Company,
		&c.GroupID, jsonCol{&c.ChannelIDs}, &c.AcceptsMarketing, &c.StoreCredit, &c.Country, &c.AddressCount,
		&c.AddressSummary, &c.B2BCompanyID, &c.B2BCompanyName, jsonCol{&c.Attributes}, (*dbTime)(&c.DateCreated),
		(*dbTime)(&c.DateModified))
	if errors.Is(err, sql.ErrNoRows) {
		return MirrorCustomer{}, fmt.Errorf("store: mirror customer %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return MirrorCustomer{}, fmt.Errorf("store: mirror customer %d: %w", id, err)
	}
	return c, nil
}

// DeleteMirrorCustomer removes a customer (the customer/deleted webhook). Its
// orders stay and count again for their own emails; its shopper row loses
// the customer id (to another customer with that email, if any). Deleting an absent customer is not an error.
func (s *Store) DeleteMirrorCustomer(ctx context.Context, storeHash string, id int64) error {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.lockShoppers(ctx, tx, storeHash); err != nil {
			return err
		}
		stored := map[int64]storedCustomer{}
		if err := s.readStoredCustomers(ctx, tx, []any{storeHash, id}, stored); err != nil {
			return fmt.Errorf("read stored customer: %w", err)
		}
		if old, ok := stored[id]; ok {
			bumps := rollupBumps{}
			bumps.customer(old.created, old.channels, -1)
			if err := s.bump(ctx, tx, storeHash, bumps); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM mirror_customers WHERE store_hash = ? AND id = ?`),
			storeHash, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE shopper_stats SET customer_id = `+otherCustomerOfEmail+`
			WHERE store_hash = ? AND customer_id = ?`), storeHash, id); err != nil {
			return err
		}
		return s.rekeyCustomerOrders(ctx, tx, storeHash, map[int64]string{id: ""})
	})
	if err != nil {
		return fmt.Errorf("store: delete mirror customer %d: %w", id, err)
	}
	return nil
}
