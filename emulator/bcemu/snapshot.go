package bcemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// snapshotVersion is bumped when the snapshot format changes incompatibly.
const snapshotVersion = 1

type snapshot struct {
	Version int      `json:"version"`
	Stores  []*state `json:"stores"`
}

// Save writes every store's data (catalog, customers, carts, orders,
// promotions, segments, hooks and id sequences) to Options.SnapshotPath as
// JSON. Rate-limit windows, fault knobs, held events and the delivery log
// are runtime state and are not saved.
func (e *Emulator) Save() error {
	if e.opts.SnapshotPath == "" {
		return errors.New("bcemu: no SnapshotPath configured")
	}
	snap := snapshot{Version: snapshotVersion}
	var data []byte
	var err error
	func() {
		// Lock every store for a consistent view, in registration order.
		stores := e.allStores()
		for _, s := range stores {
			s.mu.Lock()
			snap.Stores = append(snap.Stores, &s.state)
		}
		defer func() {
			for _, s := range stores {
				s.mu.Unlock()
			}
		}()
		data, err = json.MarshalIndent(snap, "", "  ")
	}()
	if err != nil {
		return err
	}
	dir := filepath.Dir(e.opts.SnapshotPath)
	tmp, err := os.CreateTemp(dir, ".bcemu-snapshot-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), e.opts.SnapshotPath)
}

// loadSnapshot replaces the seeded stores by their saved state; saved stores
// that are not seeded are added. A missing file is not an error.
func (e *Emulator) loadSnapshot(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var snap snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return fmt.Errorf("bcemu: snapshot %s: %w", path, err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("bcemu: snapshot %s has version %d, want %d", path, snap.Version, snapshotVersion)
	}
	for _, st := range snap.Stores {
		if st == nil || st.Hash == "" {
			continue
		}
		if st.Carts == nil {
			st.Carts = map[string]*Cart{}
		}
		if st.Guests == nil {
			st.Guests = map[string]*Customer{}
		}
		if st.AbandonTokens == nil {
			st.AbandonTokens = map[string]string{}
		}
		for _, g := range st.Segments {
			if g.Profiles == nil {
				g.Profiles = map[string]bool{}
			}
		}
		for _, p := range st.Promotions {
			if p.Raw == nil {
				p.Raw = map[string]any{}
			}
		}
		if len(st.Channels) == 0 {
			st.Channels = []int{1}
		}
		if st.Quota <= 0 {
			st.Quota = e.opts.RateLimitQuota
		}
		if st.WindowMs <= 0 {
			st.WindowMs = e.opts.RateLimitWindow.Milliseconds()
		}
		if err := upgradeCatalog(st, e.now()); err != nil {
			return fmt.Errorf("bcemu: snapshot %s: %w", path, err)
		}
		if s, ok := e.stores[st.Hash]; ok {
			s.state = *st
			continue
		}
		e.stores[st.Hash] = &store{state: *st}
		e.order = append(e.order, st.Hash)
	}
	return nil
}

// upgradeCatalog completes a catalog saved before categories and product
// availability existed: products are available, and a category a product
// names is created as "Category <id>".
func upgradeCatalog(st *state, now time.Time) error {
	s := &store{state: *st}
	for _, p := range s.Products {
		if p.Availability == "" {
			p.Availability = "available"
		}
		for _, id := range p.Categories {
			if s.category(id) == nil {
				if _, err := s.addCategory(CategorySeed{ID: id, Name: fmt.Sprintf("Category %d", id)}, now); err != nil {
					return err
				}
			}
		}
	}
	*st = s.state
	return nil
}
