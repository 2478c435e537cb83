package activities

import (
	"context"
	"fmt"
	"net/url"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/store"
)

// LoadCart reads a cart's truth from BigCommerce: whether it still exists,
// its items, the shopper and their consent, whether an order was already
// placed from it (catching missed or out-of-order webhooks), and, when asked,
// the link that brings the shopper back.
func (a *Activities) LoadCart(ctx context.Context, in LoadCartInput) (CartSnapshot, error) {
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return CartSnapshot{}, err
	}
	snap := CartSnapshot{CartRef: in.CartRef}
	orders, err := bc.ListOrders(ctx, bigcommerce.OrderFilter{CartID: in.CartID})
	if err != nil {
		return snap, classify("load cart: find orders of cart", err)
	}
	for _, o := range orders {
		if o.StatusID != 0 { // an Incomplete order is an abandoned checkout, not a purchase
			snap.OrderID = int64(o.ID)
			// BigCommerce drops a converted cart: the mirror keeps what the
			// order says of it.
			amount, _ := store.ParseMoney(o.TotalIncTax.String())
			if err := a.Store.UpsertCart(ctx, in.StoreHash, store.MirrorCart{
				ID: in.CartID, CustomerID: int64(o.CustomerID), Email: o.BillingAddress.Email, ChannelID: int64(o.ChannelID),
				Amount: amount, Currency: o.CurrencyCode, ItemCount: o.ItemsTotal, Updated: o.DateCreated.Time, OrderID: int64(o.ID),
			}); err != nil {
				return snap, fmt.Errorf("load cart: mirror: %w", err)
			}
			return snap, nil
		}
	}
	cart, err := bc.GetCart(ctx, in.CartID)
	if bigcommerce.IsNotFound(err) {
		return snap, nil
	}
	if err != nil {
		return snap, classify("load cart", err)
	}
	snap.Exists = true
	snap.ChannelID = cart.ChannelID
	snap.Amount = cart.CartAmount.String()
	snap.Currency = cart.Currency.Code
	links := a.linker(bc, in.StoreHash, cart.ChannelID)
	for _, it := range cart.Items() {
		item := LineItem{
			ProductID: int64(it.ProductID), VariantID: int64(it.VariantID), SKU: it.SKU, Name: it.Name, Quantity: it.Quantity,
			Price: it.SalePrice.String(),
		}
		if item.ImageURL, err = links.abs(ctx, it.ImageURL); err != nil {
			return snap, err
		}
		if item.ProductURL, err = links.abs(ctx, it.URL); err != nil {
			return snap, err
		}
		snap.Items = append(snap.Items, item)
		snap.ItemCount += it.Quantity
	}
	snap.Shopper, err = a.shopper(ctx, bc, in.StoreHash, cart.ChannelID, int64(cart.CustomerID), cart.Email)
	if err != nil {
		return snap, err
	}
	amount, _ := store.ParseMoney(cart.CartAmount.String())
	if err := a.Store.UpsertCart(ctx, in.StoreHash, store.MirrorCart{
		ID: cart.ID, CustomerID: int64(cart.CustomerID), Email: snap.Shopper.Email, ChannelID: int64(cart.ChannelID),
		Amount: amount, Currency: cart.Currency.Code, ItemCount: snap.ItemCount, Created: cart.CreatedTime.Time, Updated: cart.UpdatedTime.Time,
	}); err != nil {
		return snap, fmt.Errorf("load cart: mirror: %w", err)
	}
	if in.WithRecoveryURL {
		if snap.RecoveryURL, err = links.abs(ctx, a.recoveryURL(ctx, bc, in)); err != nil {
			return snap, err
		}
	}
	snap.LinkProblem = links.problem()
	return snap, nil
}

// shopper loads a registered customer's record and consent, or describes a
// guest by the cart's email. Guests who typed their email at checkout are
// treated as accepting abandoned-cart reminders (BigCommerce has no consent
// field for them); every send still honours the suppression list. SMS and
// WhatsApp consent come from the flows file's consent source (applyConsent).
func (a *Activities) shopper(ctx context.Context, bc *bigcommerce.Client, storeHash string, channelID int, customerID int64, email string) (Shopper, error) {
	s := Shopper{CustomerID: customerID, Email: email, AcceptsAbandonedCartEmails: true}
	if customerID > 0 {
		c, err := bc.GetCustomer(ctx, int(customerID))
		if err != nil && !bigcommerce.IsNotFound(err) {
			return s, classify("load customer", err)
		}
		if err == nil {
			s.Email, s.FirstName, s.LastName, s.Phone = c.Email, c.FirstName, c.LastName, c.Phone
			s.GroupID = int64(c.CustomerGroupID)
			s.AcceptsAbandonedCartEmails = c.AcceptsAbandonedCartEmails
			s.AcceptsMarketing = c.AcceptsAbandonedCartEmails
		}
	}
	if s.Email != "" {
		ok, reason, err := a.Store.IsSuppressed(ctx, storeHash, s.Email)
		if err != nil {
			return s, fmt.Errorf("check suppression list: %w", err)
		}
		s.Suppressed, s.SuppressedReason = ok, reason
	}
	if err := a.applyConsent(ctx, bc, storeHash, channelID, &s); err != nil {
		return s, err
	}
	return s, nil
}

// recoveryURL is the cart's checkout redirect URL where the platform allows
// it (carts created through the API), otherwise the storefront's
// abandoned-cart link with the token BigCommerce sent, relative to the
// storefront (LoadCart makes it absolute).
func (a *Activities) recoveryURL(ctx context.Context, bc *bigcommerce.Client, in LoadCartInput) string {
	if urls, err := bc.CreateRedirectURLs(ctx, in.CartID); err == nil && urls.CheckoutURL != "" {
		return urls.CheckoutURL
	}
	if in.Token != "" {
		return "/cart.php?action=load&id=" + url.QueryEscape(in.CartID) + "&token=" + url.QueryEscape(in.Token)
	}
	return "/cart.php"
}

// RecordRecovery attributes a converted cart's order total to the last step
// sent, in the decision log (its amount and channel are the order's).
func (a *Activities) RecordRecovery(ctx context.Context, in RecoveryInput) (Recovery, error) {
	o, rec, err := a.orderTotal(ctx, in.StoreHash, in.OrderID, "record recovery")
	if err != nil {
		return Recovery{}, err
	}
	err = a.RecordDecision(ctx, DecisionInput{
		StoreHash: in.StoreHash, CustomerKey: in.CustomerKey, Email: in.Email, WorkflowID: in.WorkflowID, Flow: "cart-recovery",
		ChannelID: int64(o.ChannelID), Amount: rec.Total,
		Step: in.LastStep, Decision: "recovered", Reason: "order placed after a reminder", DedupeKey: RecoveryKey(in.StoreHash, in.OrderID),
		Details: map[string]any{"order_id": in.OrderID, "total": rec.Total, "currency": rec.Currency}, At: in.At,
	})
	return rec, err
}

// orderTotal loads an order for the decisions that carry its total.
func (a *Activities) orderTotal(ctx context.Context, storeHash string, orderID int64, what string) (bigcommerce.Order, Recovery, error) {
	bc, err := a.bc(storeHash)
	if err != nil {
		return bigcommerce.Order{}, Recovery{}, err
	}
	o, err := bc.GetOrder(ctx, int(orderID))
	if err != nil {
		return bigcommerce.Order{}, Recovery{}, classify(what+": load order", err)
	}
	return o, Recovery{OrderID: orderID, Total: o.TotalIncTax.String(), Currency: o.CurrencyCode}, nil
}
