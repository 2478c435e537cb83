package syncer

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/store"
)

// customerIncludes are the sub-resources a customer page brings along, so
// no customer costs a request of its own.
var customerIncludes = []string{"addresses", "storecredit", "attributes"}

func (s *Syncer) countCustomers(ctx context.Context, bc *bigcommerce.Client, since time.Time) (int64, error) {
	p, err := bc.GetCustomers(ctx, bigcommerce.CustomerFilter{DateModifiedMin: since, PageOptions: bigcommerce.PageOptions{Page: 1, Limit: 1}})
	if err != nil {
		return 0, err
	}
	return int64(p.Pagination.Total), nil
}

func (s *Syncer) customerPage(ctx context.Context, bc *bigcommerce.Client, since time.Time, page int) (Result, error) {
	p, err := bc.GetCustomers(ctx, bigcommerce.CustomerFilter{
		DateModifiedMin: since, Include: customerIncludes, Sort: "date_created:asc",
		PageOptions: bigcommerce.PageOptions{Page: page, Limit: bigcommerce.MaxPageSize},
	})
	if err != nil {
		return Result{}, err
	}
	r, err := s.Customers(ctx, bc, p.Items)
	r.Full, r.Requests = len(p.Items) >= bigcommerce.MaxPageSize, 1
	return r, err
}

// Customer mirrors one customer, read with its sub-resources, or removes
// it from the mirror when BigCommerce no longer has it (deleted).
func (s *Syncer) Customer(ctx context.Context, bc *bigcommerce.Client, customerID int64) (bigcommerce.Customer, bool, error) {
	p, err := bc.GetCustomers(ctx, bigcommerce.CustomerFilter{IDs: []int{int(customerID)}, Include: customerIncludes})
	if err != nil {
		return bigcommerce.Customer{}, false, err
	}
	if len(p.Items) == 0 {
		if err := s.Store.DeleteMirrorCustomer(ctx, bc.StoreHash(), customerID); err != nil {
			return bigcommerce.Customer{}, false, fmt.Errorf("syncer: delete customer: %w", err)
		}
		return bigcommerce.Customer{}, false, nil
	}
	_, err = s.Customers(ctx, bc, p.Items)
	return p.Items[0], true, err
}

// Customers writes customers into the mirror and pushes the contacts that
// changed to the provider, with the lists the flows file gives their
// channel and group. Customers without an email are mirrored only.
func (s *Syncer) Customers(ctx context.Context, bc *bigcommerce.Client, cs []bigcommerce.Customer) (Result, error) {
	storeHash := bc.StoreHash()
	groups := map[int]string{}
	if s.Provider != nil {
		for _, c := range cs {
			name, err := s.groupName(ctx, bc, c.CustomerGroupID)
			if err != nil {
				return Result{}, err
			}
			groups[c.CustomerGroupID] = name
		}
	}
	return copyEntities(ctx, s, storeHash, cs, entityCopy[bigcommerce.Customer, store.MirrorCustomer, contactPush]{
		what: Customers, kind: pushContact, mirror: mirrorCustomer, upsert: s.Store.UpsertCustomers,
		payload: func(c bigcommerce.Customer, _ store.MirrorCustomer) (string, contactPush, bool) {
			return strconv.Itoa(c.ID), s.contactOf(storeHash, c, groups[c.CustomerGroupID]), strings.TrimSpace(c.Email) != ""
		},
		send: s.pushContacts,
	})
}

// contactPush is a contact, the names of the lists it joins and of the
// lists its channel configures that it does not join (a customer who
// stopped accepting marketing leaves that list); its JSON is the
// fingerprint of what the provider holds.
type contactPush struct {
	Contact messaging.Contact
	Lists   []string
	Leave   []string `json:",omitempty"`
}

// contactOf maps a customer to its provider contact: names, phone in
// E.164, company, group, channel, store and BigCommerce id.
func (s *Syncer) contactOf(storeHash string, c bigcommerce.Customer, groupName string) contactPush {
	channel := c.OriginChannelID
	phone := ""
	if s.Phone != nil {
		phone = s.Phone(storeHash, channel, c.Phone)
	}
	ct := messaging.Contact{
		Email: strings.ToLower(strings.TrimSpace(c.Email)), ExtID: storeHash + ":" + strconv.Itoa(c.ID),
		Phone: phone, FirstName: c.FirstName, LastName: c.LastName,
		Attributes: map[string]any{
			"BC_STORE": storeHash, "BC_CUSTOMER_ID": c.ID, "BC_CUSTOMER_GROUP_ID": c.CustomerGroupID,
			"BC_ACCEPTS_MARKETING": c.AcceptsAbandonedCartEmails, "BC_CHANNEL_ID": channel, "COMPANY": c.Company,
		},
	}
	var lists, leave []string
	if s.Flows != nil {
		cfg := s.Flows.For(storeHash, channel).Sync
		lists = cfg.ListsFor(c.CustomerGroupID, groupName, c.AcceptsAbandonedCartEmails)
		for _, l := range cfg.Lists() {
			if !slices.Contains(lists, l) {
				leave = append(leave, l)
			}
		}
	}
	return contactPush{Contact: ct, Lists: lists, Leave: leave}
}

// pushContacts imports contacts, one import per distinct set of lists
// (every contact joins at least the marker list).
func (s *Syncer) pushContacts(ctx context.Context, cs []contactPush, existed []bool) error {
	if err := s.ensureContactAttributes(ctx); err != nil {
		return err
	}
	groups := map[string][]messaging.Contact{}
	listsOf := map[string][]string{}
	for _, c := range cs {
		k := strings.Join(c.Lists, "\x00")
		groups[k] = append(groups[k], c.Contact)
		listsOf[k] = c.Lists
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var ids []int64
		for _, name := range listsOf[k] {
			id, err := s.Provider.EnsureList(ctx, ListFolder, name)
			if err != nil {
				return fmt.Errorf("list %q: %w", name, err)
			}
			ids = append(ids, id)
		}
		if err := s.Provider.ImportContacts(ctx, groups[k], ids); err != nil {
			return err
		}
	}
	return s.leaveLists(ctx, cs, existed)
}

// leaveLists takes contacts the provider already held off the configured
// lists they no longer join (a customer who stopped accepting marketing,
// or changed group). A contact new to the provider was never on them.
func (s *Syncer) leaveLists(ctx context.Context, cs []contactPush, existed []bool) error {
	leaving := map[string][]string{}
	for i, c := range cs {
		if !existed[i] {
			continue
		}
		for _, l := range c.Leave {
			leaving[l] = append(leaving[l], c.Contact.Email)
		}
	}
	names := make([]string, 0, len(leaving))
	for l := range leaving {
		names = append(names, l)
	}
	sort.Strings(names)
	for _, name := range names {
		id, err := s.Provider.EnsureList(ctx, ListFolder, name)
		if err != nil {
			return fmt.Errorf("list %q: %w", name, err)
		}
		if _, err := s.Provider.RemoveFromList(ctx, id, leaving[name]); err != nil {
			return fmt.Errorf("leave list %q: %w", name, err)
		}
	}
	return nil
}

// mirrorCustomer maps a customer to its mirror row.
func mirrorCustomer(c bigcommerce.Customer) store.MirrorCustomer {
	m := store.MirrorCustomer{
		ID: int64(c.ID), Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Phone: c.Phone, Company: c.Company,
		GroupID: int64(c.CustomerGroupID), ChannelIDs: c.ChannelIDs, AcceptsMarketing: c.AcceptsAbandonedCartEmails,
		DateCreated: c.DateCreated.Time, DateModified: c.DateModified.Time,
		StoreCredit: money(c.StoreCredit()), AddressCount: len(c.Addresses),
	}
	if len(c.Addresses) > 0 {
		a := c.Addresses[0]
		m.Country = a.CountryCode
		m.AddressSummary = strings.Trim(a.City+", "+a.CountryCode, ", ")
	}
	if len(c.Attributes) > 0 {
		m.Attributes = map[string]string{}
		for _, at := range c.Attributes {
			m.Attributes[strconv.Itoa(at.AttributeID)] = at.Value
		}
	}
	return m
}
