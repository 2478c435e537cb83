package syncer

import (
	"strconv"

	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/store"
)

// providerOrder maps a mirrored order to the provider's ecommerce order:
// its id, the shopper's email, status, amount, dates, lines and coupons.
func providerOrder(m store.MirrorOrder) messaging.Order {
	o := messaging.Order{
		ID: strconv.FormatInt(m.ID, 10), Email: m.Email, Status: m.Status, Amount: m.TotalIncTax.String(),
		CreatedAt: m.DateCreated, UpdatedAt: m.DateModified, Coupons: m.CouponCodes,
	}
	for _, l := range m.Lines {
		o.Products = append(o.Products, messaging.OrderProduct{
			ProductID: strconv.FormatInt(l.ProductID, 10), VariantID: strconv.FormatInt(l.VariantID, 10),
			Quantity: float64(l.Quantity), Price: l.Price.String(),
		})
	}
	return o
}

// providerProduct maps a mirrored product to the provider's catalog
// product: name, absolute URL, first image, SKU, price and categories.
func providerProduct(m store.MirrorProduct) messaging.Product {
	p := messaging.Product{ID: strconv.FormatInt(m.ID, 10), Name: m.Name, URL: m.URL, SKU: m.SKU, Price: m.Price.String()}
	if len(m.Images) > 0 {
		p.ImageURL = m.Images[0]
	}
	for _, c := range m.CategoryIDs {
		p.Categories = append(p.Categories, strconv.Itoa(c))
	}
	return p
}
