package bcemu

import (
	"encoding/json"
	"hash/maphash"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// keyOrders caches the sorted keys of the key sets the renderers produce (an
// order has some 90 keys, each line item 60): sorting them for every object
// of every page cost more than encoding the values. The cache is keyed by an
// order-independent signature of the key set and checked against the map,
// so a collision only costs a sort.
var (
	keyOrders    sync.Map // uint64 → []string
	keyOrdersLen atomic.Int64
	keySeed      = maphash.MakeSeed()
)

const maxKeyOrders = 4096

func sortedKeys(m map[string]any) []string {
	if len(m) < 8 {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return keys
	}
	sig := uint64(len(m))
	for k := range m {
		sig += maphash.String(keySeed, k)
	}
	if v, ok := keyOrders.Load(sig); ok {
		keys := v.([]string)
		same := len(keys) == len(m)
		for i := 0; same && i < len(keys); i++ {
			_, same = m[keys[i]]
		}
		if same {
			return keys
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if keyOrdersLen.Load() < maxKeyOrders {
		if _, loaded := keyOrders.LoadOrStore(sig, keys); !loaded {
			keyOrdersLen.Add(1)
		}
	}
	return keys
}

// appendJSON appends the JSON encoding of v to b, byte for byte what
// json.Marshal produces, without reflection for the types the renderers
// build (maps, slices, strings, numbers, booleans, nil); other values go
// through json.Marshal. A page of 250 orders with their line items is a few
// hundred thousand map entries, and encoding/json's reflective map encoder
// made serving it the emulator's bottleneck.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, x)
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 && !(x == 0 && math.Signbit(x)) {
			return strconv.AppendInt(b, int64(x), 10), nil
		}
		if a := math.Abs(x); a >= 1e-6 && a < 1e21 {
			return strconv.AppendFloat(b, x, 'f', -1, 64), nil
		}
	case map[string]any:
		if x == nil {
			return append(b, "null"...), nil
		}
		keys := sortedKeys(x)
		b = append(b, '{')
		var err error
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJSONString(b, k); err != nil {
				return b, err
			}
			b = append(b, ':')
			if b, err = appendJSON(b, x[k]); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case []any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		var err error
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJSON(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case []int:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(e), 10)
		}
		return append(b, ']'), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, raw...), nil
}

// appendJSONString writes plain printable ASCII directly and leaves any
// string needing an escape (quotes, control characters, HTML-escaped <>&,
// non-ASCII) to json.Marshal.
func appendJSONString(b []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			raw, err := json.Marshal(s)
			if err != nil {
				return b, err
			}
			return append(b, raw...), nil
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}
