package store

import (
	"context"
	"fmt"
	"maps"
	"testing"
)

func TestPushedHashes(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		got, err := s.PushedHashes(ctx, "s", "contact", []string{"1", "2"})
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("empty store: %v", got)
		}
		// A batch larger than one statement's parameters.
		big := map[string]string{}
		for i := range 7000 {
			big[fmt.Sprint(i)] = fmt.Sprintf("h%d", i)
		}
		must(t, s.SetPushedHashes(ctx, "s", "contact", big))
		must(t, s.SetPushedHashes(ctx, "s", "contact", map[string]string{"5": "changed", "x": "new"}))
		must(t, s.SetPushedHashes(ctx, "s", "order", map[string]string{"5": "order-5"}))
		ids := make([]string, 0, 7002)
		for id := range big {
			ids = append(ids, id)
		}
		ids = append(ids, "x", "absent")
		got, err = s.PushedHashes(ctx, "s", "contact", ids)
		must(t, err)
		want := maps.Clone(big)
		want["5"] = "changed"
		want["x"] = "new"
		if !maps.Equal(got, want) {
			t.Fatalf("got %d hashes (5=%q x=%q), want %d", len(got), got["5"], got["x"], len(want))
		}
		got, err = s.PushedHashes(ctx, "other", "contact", []string{"5"})
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("other store sees %v", got)
		}
	})
}
