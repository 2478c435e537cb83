package config

import (
	"sort"
	"strings"
)

// Sync says where synced contacts go in the messaging provider: the lists
// every customer, every customer accepting marketing, and every member of a
// customer group is added to. Lists are found by name (and created when
// missing) in the provider's "bcflow" folder. A contact who unsubscribed or
// was blocklisted in the provider stays so: adding them to a list never
// re-subscribes them.
type Sync struct {
	// CustomerList is the list every synced customer joins: the
	// "bigcommerce-customer" marker (required: Brevo imports contacts into
	// lists, and the marker tells synced contacts apart).
	CustomerList string `yaml:"customer_list"`
	// MarketingList is the list a customer who accepts marketing email
	// (BigCommerce's accepts_product_review_abandoned_cart_emails, shown as
	// "accepts marketing") joins, as ActiveCampaign's Master Contact List.
	// Empty: none.
	MarketingList string `yaml:"marketing_list"`
	// GroupLists maps a customer group (name or id, matched by GroupMatches)
	// to the list its members join.
	GroupLists map[string]string `yaml:"group_lists,omitempty"`
}

func (s *Sync) setDefaults() {
	*s = builtinSection(func(f *FlowSet) *Sync { return f.Sync })
}

// ListsFor returns the names of the lists a customer of groupID (named
// groupName) joins, sorted, without duplicates.
func (s *Sync) ListsFor(groupID int, groupName string, acceptsMarketing bool) []string {
	seen := map[string]bool{}
	if s.CustomerList != "" {
		seen[s.CustomerList] = true
	}
	if acceptsMarketing && s.MarketingList != "" {
		seen[s.MarketingList] = true
	}
	for ref, list := range s.GroupLists {
		if GroupMatches(ref, groupID, groupName) {
			seen[list] = true
		}
	}
	out := make([]string, 0, len(seen))
	for l := range seen {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Lists returns every list the section names (the marker, the marketing
// list, the group lists), sorted, without duplicates.
func (s *Sync) Lists() []string {
	seen := map[string]bool{}
	for _, l := range append([]string{s.CustomerList, s.MarketingList}, mapValues(s.GroupLists)...) {
		if l != "" {
			seen[l] = true
		}
	}
	out := make([]string, 0, len(seen))
	for l := range seen {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func (c *checker) sync(p string, s *Sync) {
	if s.CustomerList == "" {
		c.add(p+".customer_list", "must name the list every synced customer joins (the marker, e.g. bigcommerce-customer)")
	}
	names := map[string]string{"customer_list": s.CustomerList, "marketing_list": s.MarketingList}
	for ref, list := range s.GroupLists {
		names["group_lists."+ref] = list
		if strings.TrimSpace(ref) == "" {
			c.add(p+".group_lists", "a customer group must be named or numbered, got %q", ref)
		}
		if list == "" {
			c.add(p+".group_lists."+ref, "must name a list")
		}
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := names[k]; strings.TrimSpace(v) != v || len(v) > 100 {
			c.add(p+"."+k, "a list name must have no leading or trailing spaces and at most 100 characters, got %q", v)
		}
	}
}
