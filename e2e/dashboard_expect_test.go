package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The dashboard's number formats (web/static/ui.js), in Go: the browser
// test formats the API's JSON with them and expects each data-testid's
// text to be exactly that.

func dig(v any, path ...string) any {
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func jlist(v any) []any {
	l, _ := v.([]any)
	return l
}

func jstr(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	default:
		return fmt.Sprint(x)
	}
}

func jfloat(v any) float64 {
	f, _ := strconv.ParseFloat(jstr(v), 64)
	return f
}

func group3(digits string) string {
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fmtInt is ui.js fmtInt: an integer with thousands separators.
func fmtInt(v any) string {
	n := int64(jfloat(v))
	if n < 0 {
		return "-" + group3(strconv.FormatInt(-n, 10))
	}
	return group3(strconv.FormatInt(n, 10))
}

// fmtMoney is ui.js fmtMoney: the API's decimal string, grouped.
func fmtMoney(v any) string {
	s := jstr(v)
	if s == "" {
		s = "0"
	}
	sign := ""
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = "-", rest
	}
	i, f, hasF := strings.Cut(s, ".")
	if hasF {
		return sign + group3(i) + "." + f
	}
	return sign + group3(i)
}

// round1 is ui.js round1: one decimal, halves away from zero.
func round1(x float64) float64 {
	r := math.Round(math.Abs(x)*10) / 10
	if x < 0 && r != 0 {
		return -r
	}
	return r
}

func fixed1(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

func signed(r float64) string {
	if r > 0 {
		return "+" + fixed1(r)
	}
	return fixed1(r)
}

func fmtPct(v any) string { return fixed1(round1(jfloat(v)*100)) + "%" }
func fmtPP(v any) string  { return signed(round1(jfloat(v)*100)) + " pp" }
func fmtChange(cur, prev any) string {
	c, p := jfloat(cur), jfloat(prev)
	if p == 0 {
		return "n/a"
	}
	return signed(round1((c-p)/p*100)) + "%"
}

func fmtKind(kind string, v any) string {
	switch kind {
	case "money":
		return fmtMoney(v)
	case "ratio":
		return fmtPct(v)
	}
	return fmtInt(v)
}

// expect collects the texts a page must show.
type expect map[string]string

// figure is ui.js figure: current, previous and change.
func (e expect) figure(id string, fig any, kind string) {
	cur, prev := dig(fig, "current"), dig(fig, "previous")
	e[id+"-current"], e[id+"-previous"], e[id+"-change"] = fmtKind(kind, cur), fmtKind(kind, prev), fmtChange(cur, prev)
}

func tid(parts ...any) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = jstr(p)
	}
	return strings.Join(s, "-")
}

// expectedPage reads what a page shows from the admin API (the same calls
// the page makes) and formats it as the page does.
func expectedPage(t *testing.T, get func(string, period) map[string]any, p period, storeHash, page, q string) map[string]string {
	t.Helper()
	e := expect{}
	sp := "/stores/" + url.PathEscape(storeHash)
	switch page {
	case "overview":
		o, hd := get(sp+"/analytics/overview", p), get(sp+"/analytics/holdout", p)
		st, fl, lo := o["store"], o["flows"], o["loyalty"]
		e["overview-customers_total"] = fmtInt(dig(st, "customers_total"))
		for _, f := range [][2]string{{"customers_new", "count"}, {"orders", "count"}, {"revenue", "money"}, {"average_order_value", "money"}} {
			e.figure("overview-"+f[0], dig(st, f[0]), f[1])
		}
		for _, c := range jlist(dig(st, "by_channel")) {
			id := dig(c, "channel_id")
			e[tid("overview-channel", id, "customers_total")] = fmtInt(dig(c, "customers_total"))
			e[tid("overview-channel", id, "orders")] = fmtInt(dig(c, "orders"))
			e[tid("overview-channel", id, "revenue")] = fmtMoney(dig(c, "revenue"))
		}
		for _, f := range [][2]string{{"entered", "count"}, {"sent", "count"}, {"converted", "count"}, {"recovered_revenue", "money"}, {"goals_reached", "count"}} {
			e.figure("overview-"+f[0], dig(fl, f[0]), f[1])
		}
		e["overview-members"] = fmtInt(dig(lo, "members"))
		e.figure("overview-points_issued", dig(lo, "points_issued"), "count")
		e.figure("overview-points_redeemed", dig(lo, "points_redeemed"), "count")
		e["holdout-percent"] = fmtInt(hd["percent"]) + "%"
		for _, g := range []string{"messaged", "holdout"} {
			e[tid("holdout", g, "carts")] = fmtInt(dig(hd, g, "carts"))
			e[tid("holdout", g, "converted")] = fmtInt(dig(hd, g, "converted"))
			e[tid("holdout", g, "rate")] = fmtPct(dig(hd, g, "rate"))
			e[tid("holdout", g, "revenue")] = fmtMoney(dig(hd, g, "revenue"))
		}
		ci, rci := jlist(hd["rate_difference_ci95"]), jlist(hd["incremental_revenue_ci95"])
		e["holdout-rate_difference"] = fmtPP(hd["rate_difference"])
		e["holdout-rate_difference-lo"], e["holdout-rate_difference-hi"] = fmtPP(ci[0]), fmtPP(ci[1])
		e["holdout-incremental_revenue"] = fmtMoney(hd["incremental_revenue"])
		e["holdout-incremental_revenue-lo"], e["holdout-incremental_revenue-hi"] = fmtMoney(rci[0]), fmtMoney(rci[1])
		e["holdout-significant"] = map[bool]string{true: "yes", false: "no"}[hd["significant"] == true]
	case "flows":
		out := get(sp+"/analytics/flows", p)
		metrics := [][2]string{{"sent", "count"}, {"delivered", "count"}, {"opened", "count"}, {"clicked", "count"}, {"skipped", "count"},
			{"deferred", "count"}, {"failed", "count"}, {"converted", "count"}, {"revenue", "money"}}
		for _, fl := range jlist(out["flows"]) {
			name := jstr(dig(fl, "flow"))
			for _, f := range [][2]string{{"entered", "count"}, {"sent", "count"}, {"opened", "count"}, {"clicked", "count"}, {"converted", "count"}, {"revenue", "money"}} {
				e.figure(tid("flows", name, f[0]), dig(fl, f[0]), f[1])
			}
			for _, m := range metrics {
				e[tid("flows", name, "total", m[0])] = fmtKind(m[1], dig(fl, m[0], "current"))
			}
			for _, st := range jlist(dig(fl, "steps")) {
				step := jstr(dig(st, "step"))
				for _, m := range metrics {
					e[tid("flows", name, step, m[0])] = fmtKind(m[1], dig(st, m[0], "current"))
				}
				for _, r := range jlist(dig(st, "reasons")) {
					e[tid("flows", name, step, dig(r, "decision"), dig(r, "reason"))] = fmtInt(dig(r, "count"))
				}
			}
		}
	case "loyalty":
		l := get(sp+"/analytics/loyalty", p)
		e["loyalty-members"] = fmtInt(l["members"])
		e.figure("loyalty-points_issued", l["points_issued"], "count")
		e.figure("loyalty-points_redeemed", l["points_redeemed"], "count")
		e.figure("loyalty-redemption_rate", l["redemption_rate"], "ratio")
		e["loyalty-outstanding_points"] = fmtInt(l["outstanding_points"])
		e["loyalty-outstanding_liability"] = fmtMoney(l["outstanding_liability"])
		for _, tr := range jlist(l["members_by_tier"]) {
			e[tid("loyalty-tier", dig(tr, "tier"))] = fmtInt(dig(tr, "members"))
		}
	case "segments":
		sg := get(sp+"/analytics/segments", p)
		for _, s := range jlist(sg["segments"]) {
			n := jstr(dig(s, "name"))
			e[tid("segments", n, "size")] = fmtInt(dig(s, "size"))
			e[tid("segments", n, "entered-current")] = fmtInt(dig(s, "entered", "current"))
			e[tid("segments", n, "entered-previous")] = fmtInt(dig(s, "entered", "previous"))
			e[tid("segments", n, "left-current")] = fmtInt(dig(s, "left", "current"))
			e[tid("segments", n, "left-previous")] = fmtInt(dig(s, "left", "previous"))
		}
	case "sync":
		sy := get(sp+"/sync", period{})
		for _, r := range jlist(sy["runs"]) {
			kind := jstr(dig(r, "kind"))
			e[tid("sync", kind, "status")] = jstr(dig(r, "status"))
			for _, x := range jlist(dig(r, "resources")) {
				res := jstr(dig(x, "resource"))
				e[tid("sync", kind, res, "done")] = fmtInt(dig(x, "done"))
				e[tid("sync", kind, res, "pushed")] = fmtInt(dig(x, "pushed"))
				if total := jfloat(dig(x, "total")); total < 0 {
					e[tid("sync", kind, res, "total")] = "unknown"
				} else {
					e[tid("sync", kind, res, "total")] = fmtInt(dig(x, "total"))
				}
			}
		}
	case "customer":
		path := sp + "/customers/" + url.PathEscape(q)
		c, tl := get(path, period{}), get(path+"/timeline?limit=200", period{})
		cu, stats, loy := c["customer"], c["stats"], c["loyalty"]
		if cu != nil || stats != nil {
			var name []string
			for _, k := range []string{"first_name", "last_name"} {
				if v := jstr(dig(cu, k)); v != "" {
					name = append(name, v)
				}
			}
			e["customer-name"] = strings.Join(name, " ")
			if e["customer-name"] == "" {
				e["customer-name"] = "(guest)"
			}
			e["customer-email"] = jstr(dig(cu, "email"))
			if e["customer-email"] == "" {
				e["customer-email"] = jstr(dig(stats, "email"))
			}
			e["customer-id"] = "guest"
			if cu != nil {
				e["customer-id"] = jstr(dig(cu, "id"))
				var ch []string
				for _, x := range jlist(dig(cu, "channel_ids")) {
					ch = append(ch, jstr(x))
				}
				e["customer-channels"] = strings.Join(ch, ", ")
				if e["customer-channels"] == "" {
					e["customer-channels"] = "none"
				}
			}
			var segs []string
			for _, x := range jlist(c["segments"]) {
				segs = append(segs, jstr(x))
			}
			e["customer-segments"] = strings.Join(segs, ", ")
			if e["customer-segments"] == "" {
				e["customer-segments"] = "none"
			}
		} else {
			e["customer-unknown"] = "No customer or orders with this id or email in the store mirror."
		}
		e["customer-orders_count"], e["customer-total_spent"] = fmtInt(dig(stats, "orders_count")), fmtMoney("0.00")
		if stats != nil {
			e["customer-total_spent"] = fmtMoney(dig(stats, "total_spent"))
		}
		e["customer-points"], e["customer-tier"] = fmtInt(dig(loy, "balance")), jstr(dig(loy, "tier"))
		if e["customer-tier"] == "" {
			e["customer-tier"] = "none"
		}
		for _, o := range jlist(c["orders"]) {
			e[tid("customer-order", dig(o, "id"), "total")] = fmtMoney(dig(o, "total"))
		}
		for i, d := range jlist(tl["decisions"]) {
			for _, k := range []string{"flow", "step", "decision", "reason"} {
				e[tid("timeline", i, k)] = jstr(dig(d, k))
			}
		}
	default:
		t.Fatalf("no expectations for page %q", page)
	}
	return e
}
