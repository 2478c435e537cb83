package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/bcflow/bcflow/analytics"
	"github.com/bcflow/bcflow/store"
)

// CustomerReader is the part of the store the customer profile reads;
// *store.Store implements it.
type CustomerReader interface {
	CustomerOverview(ctx context.Context, storeHash string, customerID int64, email string) (store.CustomerOverview, error)
	ShopperSegments(ctx context.Context, storeHash, email string) ([]store.SegmentMember, error)
}

// CustomersOptions configure the customer profile route.
type CustomersOptions struct {
	// Store reads the profile; required.
	Store CustomerReader
	// Stores, when not empty, are the only store hashes answered (others:
	// 404).
	Stores []string
	// Logger receives failures to read the store.
	Logger *slog.Logger
}

// MountCustomers adds GET /stores/{store}/customers/{customer} to g (the
// Admin group): one customer's profile, {customer} being a BigCommerce
// customer id or an email address (a guest's too). An unknown shopper is a
// profile of nulls, not a 404. Their decisions are the timeline route's.
func MountCustomers(g *gin.RouterGroup, opts CustomersOptions) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	g.GET("/stores/:store/customers/:customer", func(c *gin.Context) { customerProfile(c, opts) })
}

// CustomerProfile is the answer of GET .../customers/{customer}.
type CustomerProfile struct {
	Customer *CustomerView `json:"customer"`
	Stats    *ShopperView  `json:"stats"`
	Orders   []OrderView   `json:"orders"`
	Loyalty  *AccountView  `json:"loyalty"`
	// Segments are the segments the shopper is in now, by name.
	Segments []string `json:"segments"`
}

// CustomerView is the mirrored BigCommerce customer.
type CustomerView struct {
	ID               int64     `json:"id"`
	Email            string    `json:"email"`
	FirstName        string    `json:"first_name"`
	LastName         string    `json:"last_name"`
	Phone            string    `json:"phone"`
	Company          string    `json:"company"`
	GroupID          int64     `json:"group_id"`
	ChannelIDs       []int     `json:"channel_ids"`
	AcceptsMarketing bool      `json:"accepts_marketing"`
	StoreCredit      string    `json:"store_credit"`
	Country          string    `json:"country"`
	AddressSummary   string    `json:"address_summary"`
	B2BCompanyName   string    `json:"b2b_company_name,omitempty"`
	DateCreated      time.Time `json:"date_created"`
}

// ShopperView is the shopper's order figures.
type ShopperView struct {
	Email             string    `json:"email"`
	CustomerID        int64     `json:"customer_id"`
	OrdersCount       int64     `json:"orders_count"`
	TotalSpent        string    `json:"total_spent"`
	AverageOrderValue string    `json:"average_order_value"`
	FirstOrderAt      time.Time `json:"first_order_at,omitzero"`
	LastOrderAt       time.Time `json:"last_order_at,omitzero"`
}

// OrderView is one of the shopper's last orders.
type OrderView struct {
	ID          int64     `json:"id"`
	Status      string    `json:"status"`
	Total       string    `json:"total"`
	Currency    string    `json:"currency"`
	ChannelID   int64     `json:"channel_id"`
	DateCreated time.Time `json:"date_created"`
}

// AccountView is the shopper's loyalty account.
type AccountView struct {
	Balance        int64     `json:"balance"`
	LifetimeEarned int64     `json:"lifetime_earned"`
	Tier           string    `json:"tier"`
	UpdatedAt      time.Time `json:"updated_at,omitzero"`
}

func customerProfile(c *gin.Context, opts CustomersOptions) {
	storeHash, ok := storeParam(c, opts.Stores)
	if !ok {
		return
	}
	id, email, ok := customerParam(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	ov, err := opts.Store.CustomerOverview(ctx, storeHash, id, email)
	if err != nil {
		customerUnavailable(c, opts.Logger, storeHash, err, email)
		return
	}
	out := CustomerProfile{Orders: make([]OrderView, 0, len(ov.Orders)), Segments: []string{}}
	if m := ov.Customer; m != nil {
		out.Customer = &CustomerView{ID: m.ID, Email: m.Email, FirstName: m.FirstName, LastName: m.LastName, Phone: m.Phone,
			Company: m.Company, GroupID: m.GroupID, ChannelIDs: m.ChannelIDs, AcceptsMarketing: m.AcceptsMarketing,
			StoreCredit: analytics.FormatMoney(m.StoreCredit), Country: m.Country, AddressSummary: m.AddressSummary,
			B2BCompanyName: m.B2BCompanyName, DateCreated: m.DateCreated}
		if out.Customer.ChannelIDs == nil {
			out.Customer.ChannelIDs = []int{}
		}
	}
	if s := ov.Stats; s != nil {
		out.Stats = &ShopperView{Email: s.Email, CustomerID: s.CustomerID, OrdersCount: s.OrdersCount,
			TotalSpent: analytics.FormatMoney(s.TotalSpent), AverageOrderValue: analytics.FormatMoney(s.AverageOrderValue()),
			FirstOrderAt: s.FirstOrderAt, LastOrderAt: s.LastOrderAt}
	}
	for _, o := range ov.Orders {
		out.Orders = append(out.Orders, OrderView{ID: o.ID, Status: o.Status, Total: analytics.FormatMoney(o.TotalIncTax),
			Currency: o.Currency, ChannelID: o.ChannelID, DateCreated: o.DateCreated})
	}
	if a := ov.Loyalty; a != nil {
		out.Loyalty = &AccountView{Balance: a.Balance, LifetimeEarned: a.LifetimeEarned, Tier: a.Tier, UpdatedAt: a.UpdatedAt}
	}
	if ov.Email != "" {
		stints, err := opts.Store.ShopperSegments(ctx, storeHash, ov.Email)
		if err != nil {
			customerUnavailable(c, opts.Logger, storeHash, err, email, ov.Email)
			return
		}
		for _, s := range stints {
			if s.LeftAt.IsZero() {
				out.Segments = append(out.Segments, s.Segment)
			}
		}
	}
	c.JSON(http.StatusOK, out)
}

// customerUnavailable answers a failure to read the store (503) and logs
// it with the shopper's addresses masked.
func customerUnavailable(c *gin.Context, logger *slog.Logger, storeHash string, err error, emails ...string) {
	storeUnavailable(c, logger, "read the customer", storeHash, err, emails...)
}
