package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/store"
)

// LoadOrder reads an order's truth from BigCommerce: its status, shopper
// identity, channel, cart and totals, and, when asked, its lines (with the
// products' own SKUs), coupon codes, the shopper's consent and customer
// group, and its shipments. A missing or deleted order is a snapshot with
// Exists false, not an error.
func (a *Activities) LoadOrder(ctx context.Context, in OrderInput) (OrderSnapshot, error) {
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return OrderSnapshot{}, err
	}
	snap := OrderSnapshot{StoreHash: in.StoreHash, OrderID: in.OrderID}
	o, err := bc.GetOrder(ctx, int(in.OrderID))
	if bigcommerce.IsNotFound(err) {
		return snap, nil
	}
	if err != nil {
		return snap, classify("load order", err)
	}
	snap.Exists = !o.IsDeleted
	snap.StatusID, snap.Status = o.StatusID, o.Status
	snap.CustomerID = int64(o.CustomerID)
	snap.BillingEmail = o.BillingAddress.Email
	snap.ChannelID, snap.CartID = o.ChannelID, o.CartID
	snap.Currency = o.CurrencyCode
	snap.SubtotalExTax, snap.TotalIncTax = o.SubtotalExTax.String(), o.TotalIncTax.String()
	snap.PaymentMethod = o.PaymentMethod
	snap.DateCreated = o.DateCreated.Time
	snap.ItemsTotal = o.ItemsTotal
	if in.Mirror && snap.Exists {
		if err := a.mirrorOrder(ctx, bc, in.StoreHash, o); err != nil {
			return snap, err
		}
	}
	if in.WithDetails && snap.Exists {
		links := a.linker(bc, in.StoreHash, o.ChannelID)
		if snap.Lines, err = a.orderLines(ctx, bc, o.ID, links); err != nil {
			return snap, err
		}
		snap.LinkProblem = links.problem()
		coupons, err := bc.OrderCoupons(ctx, o.ID)
		if err != nil {
			return snap, classify("load order coupons", err)
		}
		for _, c := range coupons {
			snap.Coupons = append(snap.Coupons, c.Code)
		}
		if snap.Shopper, snap.GroupName, err = a.orderShopper(ctx, bc, in.StoreHash, o); err != nil {
			return snap, err
		}
	}
	if in.WithShipments && snap.Exists {
		shipments, err := bc.OrderShipments(ctx, o.ID)
		if err != nil {
			return snap, classify("load order shipments", err)
		}
		for _, s := range shipments {
			carrier := s.TrackingCarrier
			if carrier == "" {
				carrier = s.ShippingProvider
			}
			link := s.TrackingLink
			if link == "" {
				link = s.GeneratedTrackingLink
			}
			snap.Shipments = append(snap.Shipments, ShipmentInfo{ID: int64(s.ID), TrackingNumber: s.TrackingNumber,
				Carrier: carrier, TrackingLink: link, ShippingMethod: s.ShippingMethod})
		}
	}
	return snap, nil
}

// mirrorOrder writes a live order with its line items into the mirror and
// pushes it to the provider when it changed. A live order is not history:
// the provider's automations may react to it.
//
// The segments of the order's shoppers are evaluated right after, in the
// same activity (evaluateShoppers): the billing email, the customer's
// mirrored email, and the email the mirror held the order under before.
// An unchanged order is evaluated too: an earlier attempt may have written
// it and failed before its evaluation.
func (a *Activities) mirrorOrder(ctx context.Context, bc *bigcommerce.Client, storeHash string, o bigcommerce.Order) error {
	current, err := a.syncer().OrderCurrent(ctx, storeHash, o)
	if err != nil {
		return err
	}
	previous := ""
	if !current { // an unchanged order (a burst of webhooks) costs no more requests
		if a.Segments != nil {
			if m, err := a.Store.MirrorOrderByID(ctx, storeHash, int64(o.ID)); err == nil {
				previous = m.Email
			} else if !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("mirror order %d: read the mirror: %w", o.ID, err)
			}
		}
		products, err := bc.OrderProducts(ctx, o.ID)
		if err != nil {
			return classify(fmt.Sprintf("mirror order %d: load products", o.ID), err)
		}
		o.LineItems = products
		if _, err := a.syncer().Orders(ctx, storeHash, []bigcommerce.Order{o}, false); err != nil {
			return classify(fmt.Sprintf("mirror order %d", o.ID), err)
		}
	}
	customer, err := a.customerEmail(ctx, storeHash, int64(o.CustomerID))
	if err != nil {
		return err
	}
	if err := a.evaluateShoppers(ctx, storeHash, o.BillingAddress.Email, customer, previous); err != nil {
		return fmt.Errorf("mirror order %d: %w", o.ID, err)
	}
	return nil
}

// orderLines loads an order's lines with their products' SKUs, image and
// URL from the catalog (a product deleted since keeps its line, without
// them).
func (a *Activities) orderLines(ctx context.Context, bc *bigcommerce.Client, orderID int, links *linker) ([]OrderLine, error) {
	products, err := bc.OrderProducts(ctx, orderID)
	if err != nil {
		return nil, classify(fmt.Sprintf("load products of order %d", orderID), err)
	}
	var ids []int
	for _, p := range products {
		if p.ProductID > 0 && !slices.Contains(ids, p.ProductID) {
			ids = append(ids, p.ProductID)
		}
	}
	catalog := map[int]bigcommerce.Product{}
	for chunk := range slices.Chunk(ids, 50) {
		for p, err := range bc.Products(ctx, bigcommerce.ProductFilter{IDs: chunk, Include: []string{bigcommerce.IncludePrimaryImage}}) {
			if err != nil {
				return nil, classify("load catalog products of order", err)
			}
			catalog[p.ID] = p
		}
	}
	lines := make([]OrderLine, 0, len(products))
	for _, p := range products {
		l := OrderLine{LineItem: LineItem{ProductID: int64(p.ProductID), VariantID: int64(p.VariantID), SKU: p.SKU, Name: p.Name,
			Quantity: p.Quantity, Price: p.PriceIncTax.String()}}
		if c, ok := catalog[p.ProductID]; ok {
			l.ProductSKU = c.SKU
			if l.ImageURL, err = links.abs(ctx, c.ThumbnailURL()); err != nil {
				return nil, err
			}
			if l.ProductURL, err = links.abs(ctx, c.CustomURL.URL); err != nil {
				return nil, err
			}
		}
		lines = append(lines, l)
	}
	return lines, nil
}

// orderShopper describes who placed the order: a registered customer's
// record and consent, or a guest by the billing address, with the
// newsletter opt-in of checkout as their consent. Every send still honours
// the suppression list.
func (a *Activities) orderShopper(ctx context.Context, bc *bigcommerce.Client, storeHash string, o bigcommerce.Order) (Shopper, string, error) {
	b := o.BillingAddress
	s := Shopper{CustomerID: int64(o.CustomerID), Email: b.Email, FirstName: b.FirstName, LastName: b.LastName, Phone: b.Phone,
		AcceptsMarketing: o.IsEmailOptIn, AcceptsAbandonedCartEmails: o.IsEmailOptIn}
	group := ""
	if o.CustomerID > 0 {
		c, err := bc.GetCustomer(ctx, o.CustomerID)
		if err != nil && !bigcommerce.IsNotFound(err) {
			return s, "", classify("load customer of order", err)
		}
		if err == nil {
			if c.Email != "" {
				s.Email = c.Email
			}
			if c.FirstName != "" || c.LastName != "" {
				s.FirstName, s.LastName = c.FirstName, c.LastName
			}
			if c.Phone != "" {
				s.Phone = c.Phone
			}
			s.GroupID = int64(c.CustomerGroupID)
			s.AcceptsAbandonedCartEmails = c.AcceptsAbandonedCartEmails
			s.AcceptsMarketing = o.IsEmailOptIn || c.AcceptsAbandonedCartEmails
		}
		if s.GroupID > 0 {
			g, err := bc.GetCustomerGroup(ctx, int(s.GroupID))
			if err != nil && !bigcommerce.IsNotFound(err) {
				return s, "", classify("load customer group", err)
			}
			group = g.Name
		}
	}
	if s.Email != "" {
		ok, reason, err := a.Store.IsSuppressed(ctx, storeHash, s.Email)
		if err != nil {
			return s, "", fmt.Errorf("check suppression list: %w", err)
		}
		s.Suppressed, s.SuppressedReason = ok, reason
	}
	if err := a.applyConsent(ctx, bc, storeHash, o.ChannelID, &s); err != nil {
		return s, "", err
	}
	return s, group, nil
}

// shopperFilter selects a shopper's orders: by customer id for registered
// customers, by billing email for guests. ok is false when neither is known.
func shopperFilter(customerID int64, email string) (f bigcommerce.OrderFilter, ok bool) {
	switch {
	case customerID > 0:
		f.CustomerID = int(customerID)
	case email != "":
		f.Email = email
	default:
		return f, false
	}
	return f, true
}

// CountPlacedOrders counts the shopper's orders placed before in.OrderID
// (lower ids) that are in a placed status now, with one /v2/orders/count
// call: registered customers by customer id, guests by billing email.
func (a *Activities) CountPlacedOrders(ctx context.Context, in OrderHistoryInput) (OrderHistory, error) {
	f, ok := shopperFilter(in.CustomerID, in.Email)
	if !ok || in.OrderID <= 1 {
		return OrderHistory{}, nil
	}
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return OrderHistory{}, err
	}
	f.MaxID = int(in.OrderID) - 1
	count, err := bc.CountOrders(ctx, f)
	if err != nil {
		return OrderHistory{}, classify("count earlier orders", err)
	}
	var h OrderHistory
	for _, s := range in.PlacedStatuses {
		h.EarlierPlaced += count.ByStatus(s)
	}
	return h, nil
}

// FindReorder looks for a placed order of the shopper after in.OrderID
// (higher ids) that contains in.SKU, as a variant or as its product.
func (a *Activities) FindReorder(ctx context.Context, in ReorderInput) (Reorder, error) {
	f, ok := shopperFilter(in.CustomerID, in.Email)
	if !ok {
		return Reorder{}, nil
	}
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return Reorder{}, err
	}
	f.MinID = int(in.OrderID) + 1
	f.Sort = "id:asc"
	for o, err := range bc.Orders(ctx, f) {
		if err != nil {
			return Reorder{}, classify("find later orders", err)
		}
		if !slices.Contains(in.PlacedStatuses, o.StatusID) || o.IsDeleted {
			continue
		}
		lines, err := a.orderLines(ctx, bc, o.ID, a.linker(bc, in.StoreHash, o.ChannelID))
		if err != nil {
			return Reorder{}, err
		}
		for _, l := range lines {
			if l.HasSKU(in.SKU) {
				return Reorder{OrderID: int64(o.ID)}, nil
			}
		}
	}
	return Reorder{}, nil
}
