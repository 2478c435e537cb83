package syncer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/store"
)

func (s *Syncer) countOrders(ctx context.Context, bc *bigcommerce.Client, since time.Time) (int64, error) {
	n, err := bc.CountOrders(ctx, bigcommerce.OrderFilter{MinDateModified: since})
	if err != nil {
		return 0, err
	}
	return int64(n.Total), nil
}

// OrderListsPerPage is how many BigCommerce list pages (250 orders each)
// one sync page of orders is: the provider takes orders 1 000 to a batch
// request, and its batch endpoints allow few requests an hour.
const OrderListsPerPage = 4

// orderPage copies a sync page of orders (OrderListsPerPage list pages,
// read one after the other) with their line items: one request per 250
// orders (the list's consignments include), never one per order; the
// whole page goes to the mirror in one write and to the provider in one
// batch.
func (s *Syncer) orderPage(ctx context.Context, bc *bigcommerce.Client, since time.Time, page int, historical bool) (Result, error) {
	var all []bigcommerce.Order
	full, requests := false, int64(0)
	for i := range OrderListsPerPage {
		requests++
		os, err := bc.ListOrders(ctx, bigcommerce.OrderFilter{
			MinDateModified: since, Sort: "id", IncludeLineItems: true,
			PageOptions: bigcommerce.PageOptions{Page: (page-1)*OrderListsPerPage + i + 1, Limit: bigcommerce.MaxPageSize},
		})
		if err != nil {
			return Result{}, err
		}
		all = append(all, os...)
		if full = len(os) >= bigcommerce.MaxPageSize; !full {
			break // nothing after a short list page
		}
	}
	r, err := s.Orders(ctx, bc.StoreHash(), all, historical)
	r.Full, r.Requests = full, requests
	return r, err
}

// Orders writes orders (with their line items) into the mirror, which
// keeps every shopper's figures current, and pushes the ones that changed
// to the provider's ecommerce orders; historical marks them as history, so
// no provider automation fires on them. A registered customer's orders
// count under the account's email (the mirror resolves it), a guest's
// under the billing email.
func (s *Syncer) Orders(ctx context.Context, storeHash string, os []bigcommerce.Order, historical bool) (Result, error) {
	return copyEntities(ctx, s, storeHash, os, entityCopy[bigcommerce.Order, store.MirrorOrder, messaging.Order]{
		what: Orders, kind: pushOrder, mirror: mirrorOrder, upsert: s.Store.UpsertOrders,
		payload: func(_ bigcommerce.Order, m store.MirrorOrder) (string, messaging.Order, bool) {
			// The provider keys orders by contact: an order without an email stays in the mirror.
			return strconv.FormatInt(m.ID, 10), providerOrder(m), m.Email != ""
		},
		send: func(ctx context.Context, changed []messaging.Order, _ []bool) error {
			return s.Provider.UpsertOrders(ctx, changed, historical)
		},
	})
}

// mirrorOrder maps an order to its mirror row, under its billing email.
func mirrorOrder(o bigcommerce.Order) store.MirrorOrder {
	m := store.MirrorOrder{
		ID: int64(o.ID), CustomerID: int64(o.CustomerID), Email: strings.ToLower(strings.TrimSpace(o.BillingAddress.Email)),
		ChannelID: int64(o.ChannelID), StatusID: o.StatusID, Status: o.Status,
		SubtotalExTax: money(o.SubtotalExTax), SubtotalIncTax: money(o.SubtotalIncTax),
		TotalExTax: money(o.TotalExTax), TotalIncTax: money(o.TotalIncTax), RefundedAmount: money(o.RefundedAmount),
		Currency: o.CurrencyCode, DateCreated: o.DateCreated.Time, DateModified: o.DateModified.Time,
		CouponCodes: o.CouponCodes(),
	}
	for _, li := range o.LineItems {
		m.Lines = append(m.Lines, store.MirrorOrderLine{
			LineID: int64(li.ID), ProductID: int64(li.ProductID), VariantID: int64(li.VariantID), SKU: li.SKU, Name: li.Name,
			Quantity: int64(li.Quantity), Price: money(li.PriceIncTax),
		})
	}
	return m
}

// money converts a BigCommerce amount to the mirror's exact money. An
// amount the mirror cannot hold (more than four decimals, which BigCommerce
// never sends) counts as zero rather than failing the sync.
func money(d bigcommerce.Decimal) store.Money {
	m, err := store.ParseMoney(d.String())
	if err != nil {
		return 0
	}
	return m
}

// OrderCurrent reports whether the mirror and the provider already hold
// this version of the order (same date_modified, status and refunds, and
// the provider accepted the mirror's payload), so a live sync can skip
// reading its line items again.
func (s *Syncer) OrderCurrent(ctx context.Context, storeHash string, o bigcommerce.Order) (bool, error) {
	m, err := s.Store.MirrorOrderByID(ctx, storeHash, int64(o.ID))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("syncer: order %d in the mirror: %w", o.ID, err)
	}
	if !m.DateModified.Equal(o.DateModified.Time) || m.StatusID != o.StatusID || m.RefundedAmount != money(o.RefundedAmount) {
		return false, nil
	}
	if s.Provider == nil || m.Email == "" {
		return true, nil
	}
	id := strconv.FormatInt(m.ID, 10)
	pushed, err := s.Store.PushedHashes(ctx, storeHash, pushOrder, []string{id})
	if err != nil {
		return false, fmt.Errorf("syncer: order %d pushes: %w", o.ID, err)
	}
	h, err := hashOf(providerOrder(m))
	if err != nil {
		return false, err
	}
	return pushed[id] == h, nil
}
