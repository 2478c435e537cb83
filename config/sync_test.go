package config

import (
	"reflect"
	"testing"
)

func TestParseFlowsSyncErrors(t *testing.T) {
	runFlowsCases(t, []flowsCase{
		{"no marker list", "defaults:\n  sync:\n    customer_list: \"\"\n",
			`flows.yaml:3: defaults.sync.customer_list: must name the list every synced customer joins (the marker, e.g. bigcommerce-customer)`},
		{"bad list names", `defaults:
  sync:
    customer_list: " marker"
    group_lists: {Wholesale: ""}
`, `flows.yaml:3: defaults.sync.customer_list: a list name must have no leading or trailing spaces and at most 100 characters, got " marker"
flows.yaml:4: defaults.sync.group_lists.Wholesale: must name a list`},
	})
}

func TestSyncListsPerChannel(t *testing.T) {
	f, err := ParseFlows("flows.yaml", []byte(`version: 1
defaults:
  sync: {group_lists: {Wholesale: Trade, "7": VIPs}}
stores:
  - store_hash: abc
    channels:
      - channel_id: 2
        sync: {marketing_list: EU subscribers}
`))
	if err != nil {
		t.Fatal(err)
	}
	def := f.For("abc", 1).Sync
	// Defaults keep the built-in marker and marketing lists beside the file's groups.
	if got := def.ListsFor(3, "wholesale", true); !reflect.DeepEqual(got, []string{"BigCommerce accepts marketing", "Trade", "bigcommerce-customer"}) {
		t.Errorf("channel 1 wholesale lists = %q", got)
	}
	if got := def.ListsFor(7, "Retail", false); !reflect.DeepEqual(got, []string{"VIPs", "bigcommerce-customer"}) {
		t.Errorf("group 7 lists = %q", got)
	}
	if got := f.For("other", 1).Sync.ListsFor(1, "Retail", false); !reflect.DeepEqual(got, []string{"bigcommerce-customer"}) {
		t.Errorf("a store without overrides joins %q, want the marker", got)
	}
	eu := f.For("abc", 2).Sync
	// A channel's section replaces the whole section: its own marketing
	// list, the built-in marker for the key it leaves out, no groups.
	if got := eu.ListsFor(3, "Wholesale", true); !reflect.DeepEqual(got, []string{"EU subscribers", "bigcommerce-customer"}) {
		t.Errorf("channel 2 lists = %q", got)
	}
	if got := eu.ListsFor(3, "Wholesale", false); !reflect.DeepEqual(got, []string{"bigcommerce-customer"}) {
		t.Errorf("channel 2 without marketing = %q", got)
	}
}

func TestSyncMarkerWithoutASyncSection(t *testing.T) {
	f, err := ParseFlows("flows.yaml", []byte("version: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.For("abc", 1).Sync.ListsFor(1, "", true); !reflect.DeepEqual(got, []string{"BigCommerce accepts marketing", "bigcommerce-customer"}) {
		t.Errorf("a file without a sync section joins %q, want the built-in lists", got)
	}
}
