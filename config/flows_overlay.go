package config

import (
	"fmt"
	"reflect"
	"strings"
)

// Stores returns the store hashes that have overrides, in file order.
func (f *Flows) Stores() []string {
	out := make([]string, 0, len(f.StoreOverrides))
	for _, s := range f.StoreOverrides {
		out = append(out, s.StoreHash)
	}
	return out
}

// For returns the flows that apply to a store channel: defaults, replaced
// section by section by the store's overrides, then by the channel's. An
// unknown store or channel gets the level above. The result is a deep copy
// that the caller may modify; its pointer sections are all non-nil (absent
// ones are disabled) except QuietHours.
func (f *Flows) For(storeHash string, channelID int) FlowSet {
	set, _ := f.resolve(storeHash, channelID)
	set = deepCopy(set)
	if set.CartRecovery == nil {
		set.CartRecovery = &CartRecovery{}
	}
	if set.OrderGoals == nil {
		set.OrderGoals = &OrderGoals{}
	}
	if set.Loyalty == nil {
		set.Loyalty = &Loyalty{}
	}
	if set.ReviewRequest == nil {
		set.ReviewRequest = &ReviewRequest{}
	}
	if set.Survey == nil {
		set.Survey = &Survey{}
	}
	if set.Consent == nil {
		set.Consent = &Consent{}
	}
	if set.Sync == nil {
		// Every synced contact carries the marker list, with or without a
		// sync section in the file.
		def := builtinSection(func(f *FlowSet) *Sync { return f.Sync })
		set.Sync = &def
	}
	return set
}

// resolve merges the levels for (storeHash, channelID) and returns, for each
// FlowSet field, the path prefix of the level that supplied it.
func (f *Flows) resolve(storeHash string, channelID int) (FlowSet, []string) {
	set := f.Defaults
	n := reflect.TypeFor[FlowSet]().NumField()
	origin := make([]string, n)
	for i := range origin {
		origin[i] = "defaults"
	}
	for si := range f.StoreOverrides {
		s := &f.StoreOverrides[si]
		if storeHash == "" || !strings.EqualFold(s.StoreHash, storeHash) {
			continue
		}
		prefix := fmt.Sprintf("stores[%d]", si)
		overlay(&set, s.FlowSet, origin, prefix)
		for ci := range s.Channels {
			if c := &s.Channels[ci]; c.ChannelID == channelID {
				overlay(&set, c.FlowSet, origin, fmt.Sprintf("%s.channels[%d]", prefix, ci))
				break
			}
		}
		break
	}
	return set, origin
}

// overlay replaces every section of dst that over sets.
func overlay(dst *FlowSet, over FlowSet, origin []string, prefix string) {
	dv := reflect.ValueOf(dst).Elem()
	ov := reflect.ValueOf(over)
	for i := 0; i < ov.NumField(); i++ {
		if !ov.Field(i).IsNil() {
			dv.Field(i).Set(ov.Field(i))
			origin[i] = prefix
		}
	}
}

// deepCopy copies v with all pointers, slices and maps duplicated.
func deepCopy[T any](v T) T {
	out := reflect.New(reflect.TypeOf(&v).Elem()).Elem()
	copyValue(out, reflect.ValueOf(&v).Elem())
	return out.Interface().(T)
}

func copyValue(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		copyValue(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := 0; i < src.Len(); i++ {
			copyValue(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		iter := src.MapRange()
		for iter.Next() {
			v := reflect.New(src.Type().Elem()).Elem()
			copyValue(v, iter.Value())
			m.SetMapIndex(iter.Key(), v)
		}
		dst.Set(m)
	case reflect.Struct:
		for i := 0; i < src.NumField(); i++ {
			copyValue(dst.Field(i), src.Field(i))
		}
	default:
		dst.Set(src)
	}
}
