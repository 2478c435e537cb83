package brevo

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/bcflow/bcflow/messaging"
)

var _ messaging.StoreSync = (*Client)(nil)

// brevoTime is the UTC form Brevo's ecommerce dates take.
const brevoTime = "2006-01-02T15:04:05Z"

var decimalRe = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// number turns an exact decimal into a JSON number, as written.
func number(field, s string) (json.Number, error) {
	if !decimalRe.MatchString(s) {
		return "", fmt.Errorf("%s %q is not a decimal number", field, s)
	}
	return json.Number(s), nil
}

type orderProductBody struct {
	ProductID string      `json:"productId"`
	VariantID string      `json:"variantId,omitempty"`
	Quantity  float64     `json:"quantity"`
	Price     json.Number `json:"price"`
}

type orderBillingBody struct {
	Address       string `json:"address,omitempty"`
	City          string `json:"city,omitempty"`
	CountryCode   string `json:"countryCode,omitempty"`
	Country       string `json:"country,omitempty"`
	Phone         string `json:"phone,omitempty"`
	PostCode      string `json:"postCode,omitempty"`
	PaymentMethod string `json:"paymentMethod,omitempty"`
	Region        string `json:"region,omitempty"`
}

// orderBody is the spec's order definition.
type orderBody struct {
	ID        string             `json:"id"`
	CreatedAt string             `json:"createdAt"`
	UpdatedAt string             `json:"updatedAt"`
	Status    string             `json:"status"`
	Amount    json.Number        `json:"amount"`
	StoreID   string             `json:"storeId,omitempty"`
	Products  []orderProductBody `json:"products"`
	Email     string             `json:"email,omitempty"`
	Billing   *orderBillingBody  `json:"billing,omitempty"`
	Coupons   []string           `json:"coupons,omitempty"`
}

func orderToBody(o messaging.Order) (orderBody, error) {
	b := orderBody{ID: o.ID, Status: o.Status, StoreID: o.StoreID, Email: o.Email, Coupons: o.Coupons,
		Products: make([]orderProductBody, 0, len(o.Products))}
	switch {
	case o.ID == "":
		return b, fmt.Errorf("an id is required")
	case o.Status == "":
		return b, fmt.Errorf("order %s: a status is required", o.ID)
	case o.CreatedAt.IsZero() || o.UpdatedAt.IsZero():
		return b, fmt.Errorf("order %s: created and updated dates are required", o.ID)
	case o.Email == "" && o.Billing.Phone == "":
		return b, fmt.Errorf("order %s: an email or a billing phone is required", o.ID)
	}
	var err error
	if b.Amount, err = number("amount", o.Amount); err != nil {
		return b, fmt.Errorf("order %s: %w", o.ID, err)
	}
	b.CreatedAt = o.CreatedAt.UTC().Format(brevoTime)
	b.UpdatedAt = o.UpdatedAt.UTC().Format(brevoTime)
	for i, p := range o.Products {
		if p.ProductID == "" {
			return b, fmt.Errorf("order %s line %d: a product id is required", o.ID, i)
		}
		price, err := number("price", p.Price)
		if err != nil {
			return b, fmt.Errorf("order %s line %d: %w", o.ID, i, err)
		}
		b.Products = append(b.Products, orderProductBody{ProductID: p.ProductID, VariantID: p.VariantID, Quantity: p.Quantity, Price: price})
	}
	if bl := o.Billing; bl != (messaging.OrderBilling{}) {
		b.Billing = &orderBillingBody{Address: bl.Address, City: bl.City, CountryCode: bl.CountryCode, Country: bl.Country,
			Phone: bl.Phone, PostCode: bl.PostCode, PaymentMethod: bl.PaymentMethod, Region: bl.Region}
	}
	return b, nil
}

// MaxLiveOrders is the most live orders UpsertOrders posts one by one; more
// go in live batches.
const MaxLiveOrders = 10

// UpsertOrders sends orders through POST /orders/status/batch, at most
// MaxOrdersPerBatch orders and MaxOrderBatchBytes per request, with
// historical as given (true: Brevo fires no automation on them); a few
// live orders (a webhook's) go one by one through POST /orders/status.
// Orders repeating an id are sent once, the last one winning. Brevo
// processes a batch in the background; nothing is polled.
func (c *Client) UpsertOrders(ctx context.Context, orders []messaging.Order, historical bool) error {
	const op = "UpsertOrders"
	orders = lastByID(orders, func(o messaging.Order) string { return o.ID })
	bodies := make([]orderBody, len(orders))
	for i, o := range orders {
		b, err := orderToBody(o)
		if err != nil {
			return c.errorf(op, messaging.KindValidation, "order %d: %v", i, err)
		}
		bodies[i] = b
	}
	if !historical && len(bodies) <= MaxLiveOrders {
		// Live orders go one by one to POST /orders/status: its own rate
		// limit (5/s) is far above the batch endpoint's (100 an hour), and a
		// webhook brings one order at a time.
		for _, b := range bodies {
			if _, err := c.call(ctx, op, epOrderStatus, b, nil, nil); err != nil {
				return scrub(err)
			}
		}
		return nil
	}
	batches, err := chunks(bodies, MaxOrdersPerBatch, MaxOrderBatchBytes)
	if err != nil {
		return c.errorf(op, messaging.KindValidation, "%v", err)
	}
	for _, batch := range batches {
		req := struct {
			Orders     []json.RawMessage `json:"orders"`
			Historical bool              `json:"historical"`
		}{batch, historical}
		var out struct {
			BatchID json.Number `json:"batchId"`
		}
		if _, err := c.call(ctx, op, epOrderBatch, req, nil, &out); err != nil {
			return scrub(err)
		}
		c.log.DebugContext(ctx, "brevo: order batch accepted", "orders", len(batch), "batch_id", out.BatchID.String(), "historical", historical)
	}
	return nil
}

type productBody struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	URL        string            `json:"url,omitempty"`
	ImageURL   string            `json:"imageUrl,omitempty"`
	SKU        string            `json:"sku,omitempty"`
	Price      json.Number       `json:"price,omitempty"`
	Categories []string          `json:"categories,omitempty"`
	ParentID   string            `json:"parentId,omitempty"`
	MetaInfo   map[string]string `json:"metaInfo,omitempty"`
	IsDeleted  bool              `json:"isDeleted,omitempty"`
}

// UpsertProducts sends products through POST /products/batch with
// updateEnabled, MaxProductsPerBatch per request; products repeating an id
// are sent once, the last one winning.
func (c *Client) UpsertProducts(ctx context.Context, products []messaging.Product) error {
	const op = "UpsertProducts"
	products = lastByID(products, func(p messaging.Product) string { return p.ID })
	bodies := make([]productBody, len(products))
	for i, p := range products {
		if p.ID == "" || p.Name == "" {
			return c.errorf(op, messaging.KindValidation, "product %d: an id and a name are required", i)
		}
		b := productBody{ID: p.ID, Name: p.Name, URL: p.URL, ImageURL: p.ImageURL, SKU: p.SKU, Categories: p.Categories,
			ParentID: p.ParentID, MetaInfo: p.MetaInfo, IsDeleted: p.Deleted}
		if p.Price != "" {
			n, err := number("price", p.Price)
			if err != nil {
				return c.errorf(op, messaging.KindValidation, "product %s: %v", p.ID, err)
			}
			b.Price = n
		}
		bodies[i] = b
	}
	batches, err := chunks(bodies, MaxProductsPerBatch, 0)
	if err != nil {
		return c.errorf(op, messaging.KindValidation, "%v", err)
	}
	for _, batch := range batches {
		req := struct {
			Products      []json.RawMessage `json:"products"`
			UpdateEnabled bool              `json:"updateEnabled"`
		}{batch, true}
		var out struct {
			CreatedCount json.Number `json:"createdCount"`
			UpdatedCount json.Number `json:"updatedCount"`
		}
		if _, err := c.call(ctx, op, epProductBatch, req, nil, &out); err != nil {
			return scrub(err)
		}
		c.log.DebugContext(ctx, "brevo: product batch upserted", "products", len(batch),
			"created", out.CreatedCount.String(), "updated", out.UpdatedCount.String())
	}
	return nil
}

type categoryBody struct {
	ID        string `json:"id"`
	Name      string `json:"name,omitempty"`
	URL       string `json:"url,omitempty"`
	IsDeleted bool   `json:"isDeleted,omitempty"`
}

// UpsertCategories sends categories through POST /categories/batch with
// updateEnabled, MaxCategoriesPerBatch per request; categories repeating an
// id are sent once, the last one winning.
func (c *Client) UpsertCategories(ctx context.Context, categories []messaging.Category) error {
	const op = "UpsertCategories"
	categories = lastByID(categories, func(ct messaging.Category) string { return ct.ID })
	bodies := make([]categoryBody, len(categories))
	for i, ct := range categories {
		if ct.ID == "" || (ct.Name == "" && !ct.Deleted) {
			return c.errorf(op, messaging.KindValidation, "category %d: an id and a name are required", i)
		}
		bodies[i] = categoryBody{ID: ct.ID, Name: ct.Name, URL: ct.URL, IsDeleted: ct.Deleted}
	}
	batches, err := chunks(bodies, MaxCategoriesPerBatch, 0)
	if err != nil {
		return c.errorf(op, messaging.KindValidation, "%v", err)
	}
	for _, batch := range batches {
		req := struct {
			Categories    []json.RawMessage `json:"categories"`
			UpdateEnabled bool              `json:"updateEnabled"`
		}{batch, true}
		if _, err := c.call(ctx, op, epCategoryBatch, req, nil, nil); err != nil {
			return scrub(err)
		}
		c.log.DebugContext(ctx, "brevo: category batch upserted", "categories", len(batch))
	}
	return nil
}
