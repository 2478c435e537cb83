package config

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"text/template/parse"
)

// checker collects validation problems (paths only; ParseFlows adds lines).
type checker struct {
	problems []issue
	reported map[string]bool // group references already reported, by path
}

// issue is a Problem plus whether to drop it when its path was not written
// in the file (a built-in default the user did not choose), or when the
// decoder reported a problem inside it (a mapping whose only key was
// misspelt is not also "empty").
type issue struct {
	Problem
	ifWritten         bool
	unlessInnerFailed bool
}

func (c *checker) add(path, format string, args ...any) {
	c.problems = append(c.problems, issue{Problem: Problem{Path: path, Message: fmt.Sprintf(format, args...)}})
}

// addUnlessInnerFailed adds a problem that a decode problem inside path
// explains better.
func (c *checker) addUnlessInnerFailed(path, format string, args ...any) {
	c.add(path, format, args...)
	c.problems[len(c.problems)-1].unlessInnerFailed = true
}

// uniqueNames checks the names of a list's entries: each is required, has
// the shape re accepts and is not an earlier entry's again.
type uniqueNames struct {
	// list is the list's key ("goals"), what an entry's name is called in
	// a duplicate's message ("goal name").
	list, what string
	re         *regexp.Regexp
	// shape says what a name must be, for a name re refuses.
	shape string
	// fold compares names without case.
	fold bool
	seen map[string]int
}

// entryName checks the name of entry i, at path p (its .name).
func (c *checker) entryName(u *uniqueNames, p string, i int, name string) {
	key := name
	if u.fold {
		key = strings.ToLower(name)
	}
	switch {
	case name == "":
		c.add(p+".name", "is required")
	case !u.re.MatchString(name):
		c.add(p+".name", "%s, got %q", u.shape, name)
	default:
		if u.seen == nil {
			u.seen = map[string]int{}
		}
		if first, dup := u.seen[key]; dup {
			c.add(p+".name", "duplicate %s %q (also %s[%d])", u.what, name, u.list, first)
		} else {
			u.seen[key] = i
		}
	}
}

var (
	goalNameRE  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	storeCodeRE = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	eventNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// check runs every validation rule on f.
func (f *Flows) check() []issue {
	c := &checker{reported: map[string]bool{}}
	if f.Version != 1 {
		c.add("version", "unsupported version %d (this bcflow reads version 1)", f.Version)
	}
	if e := f.ElementDefaults; e != nil {
		c.elementDefaults("element_defaults", e)
	}
	c.set("defaults", f.Defaults)

	hashes := map[string]int{}
	for si, s := range f.StoreOverrides {
		p := fmt.Sprintf("stores[%d]", si)
		switch h := strings.ToLower(s.StoreHash); {
		case s.StoreHash == "":
			c.add(p+".store_hash", "is required")
		case !storeHashRE.MatchString(s.StoreHash):
			c.add(p+".store_hash", "must be the lowercase letters and digits after stores/ in the API path, got %q", s.StoreHash)
		default:
			if first, dup := hashes[h]; dup {
				c.add(p+".store_hash", "duplicate store_hash %q (also stores[%d])", s.StoreHash, first)
			} else {
				hashes[h] = si
			}
		}
		c.set(p, s.FlowSet)
		ids := map[int]int{}
		for ci, ch := range s.Channels {
			cp := fmt.Sprintf("%s.channels[%d]", p, ci)
			if ch.ChannelID < 1 {
				c.add(cp+".channel_id", "must be a BigCommerce channel id (1 or more), got %d", ch.ChannelID)
			} else if first, dup := ids[ch.ChannelID]; dup {
				c.add(cp+".channel_id", "duplicate channel_id %d (also %s.channels[%d])", ch.ChannelID, p, first)
			} else {
				ids[ch.ChannelID] = ci
			}
			c.storefrontURL(cp+".storefront_url", ch.StorefrontURL)
			c.set(cp, ch.FlowSet)
		}
	}

	// Group names are checked where sections meet: a goal written in
	// defaults must name a group known to every store that inherits it.
	// Each reference is reported once, for the first level where it fails.
	// Segment names (segment flows, coupons) and loyalty tiers (segment
	// rules) the same way.
	c.groups(f, "", 0, "defaults")
	c.segmentRefs(f, "", 0, "defaults")
	for si, s := range f.StoreOverrides {
		if s.StoreHash == "" {
			continue
		}
		c.channelSegments(f, si)
		c.groups(f, s.StoreHash, -1, fmt.Sprintf("store %s", s.StoreHash))
		c.segmentRefs(f, s.StoreHash, -1, fmt.Sprintf("store %s", s.StoreHash))
		for _, ch := range s.Channels {
			c.groups(f, s.StoreHash, ch.ChannelID, fmt.Sprintf("store %s channel %d", s.StoreHash, ch.ChannelID))
			c.segmentRefs(f, s.StoreHash, ch.ChannelID, fmt.Sprintf("store %s channel %d", s.StoreHash, ch.ChannelID))
		}
	}
	return c.problems
}

var (
	fieldOrderGoals = flowSetField("OrderGoals")
	fieldLoyalty    = flowSetField("Loyalty")
)

func flowSetField(name string) int {
	f, ok := reflect.TypeFor[FlowSet]().FieldByName(name)
	if !ok {
		panic("config: no FlowSet field " + name)
	}
	return f.Index[0]
}

// groups checks customer group references of the set resolved for a store
// channel against its customer_groups.
func (c *checker) groups(f *Flows, storeHash string, channelID int, scope string) {
	set, origin := f.resolve(storeHash, channelID)
	known := map[string]bool{}
	for _, g := range set.CustomerGroups {
		known[strings.ToLower(strings.TrimSpace(g))] = true
	}
	self := scopePrefix(f, storeHash, channelID)
	check := func(path, ref, owner string, ifWritten bool) {
		if _, isID := groupRefID(ref); isID || ref == "" || known[strings.ToLower(strings.TrimSpace(ref))] || c.reported[path] {
			return
		}
		c.reported[path] = true
		msg := fmt.Sprintf("unknown customer group %q: add it to customer_groups", ref)
		if len(set.CustomerGroups) > 0 {
			msg = fmt.Sprintf("unknown customer group %q (customer_groups lists %s)", ref, strings.Join(set.CustomerGroups, ", "))
		}
		msg += " or use the numeric group id"
		if owner != self {
			msg += " (applies to " + scope + ")"
		}
		c.add(path, "%s", msg)
		c.problems[len(c.problems)-1].ifWritten = ifWritten
	}
	if og := set.OrderGoals; og != nil {
		for gi, g := range og.Goals {
			if g.Kind == GoalCustomerGroup {
				check(fmt.Sprintf("%s.order_goals.goals[%d].group", origin[fieldOrderGoals], gi), g.Group, origin[fieldOrderGoals], false)
			}
		}
	}
	if l := set.Loyalty; l != nil {
		lp := origin[fieldLoyalty] + ".loyalty"
		for ref := range l.GroupMultipliers {
			check(mapKeyPath(lp+".group_multipliers", ref), ref, origin[fieldLoyalty], true)
		}
		for i, ref := range l.B2B.Groups {
			check(fmt.Sprintf("%s.b2b.groups[%d]", lp, i), ref, origin[fieldLoyalty], true)
		}
	}
	if sg := set.Segments; sg != nil {
		sp := origin[fieldSegments] + ".segments"
		for i, d := range sg.Definitions {
			walkRule(d.Rule, fmt.Sprintf("%s.definitions[%d].rule", sp, i), 1, func(p string, r Rule) {
				for j, ref := range r.CustomerGroup {
					check(fmt.Sprintf("%s.customer_group[%d]", p, j), ref, origin[fieldSegments], true)
				}
			})
		}
	}
}

// scopePrefix returns the path prefix of the level for (store, channel).
func scopePrefix(f *Flows, storeHash string, channelID int) string {
	for si, s := range f.StoreOverrides {
		if storeHash != "" && strings.EqualFold(s.StoreHash, storeHash) {
			for ci, ch := range s.Channels {
				if ch.ChannelID == channelID {
					return fmt.Sprintf("stores[%d].channels[%d]", si, ci)
				}
			}
			return fmt.Sprintf("stores[%d]", si)
		}
	}
	return "defaults"
}

// set validates the sections present at one level.
func (c *checker) set(p string, s FlowSet) {
	seen := map[string]int{}
	for i, g := range s.CustomerGroups {
		gp := fmt.Sprintf("%s.customer_groups[%d]", p, i)
		key := strings.ToLower(strings.TrimSpace(g))
		switch _, err := strconv.Atoi(key); {
		case key == "":
			c.add(gp, "must not be empty")
		case err == nil:
			c.add(gp, "group names cannot be numbers (numbers already mean group ids), got %q", g)
		default:
			if first, dup := seen[key]; dup {
				c.add(gp, "duplicate customer group %q (also customer_groups[%d])", g, first)
			} else {
				seen[key] = i
			}
		}
	}
	if w := s.AttributionWindow; w != nil && *w <= 0 {
		c.add(p+".attribution_window", "must be a positive duration, got %q", *w)
	}
	if s.CartRecovery != nil {
		c.cartRecovery(p+".cart_recovery", s.CartRecovery)
	}
	if s.OrderGoals != nil {
		c.orderGoals(p+".order_goals", s.OrderGoals)
	}
	if s.Loyalty != nil {
		c.loyalty(p+".loyalty", s.Loyalty)
	}
	if r := s.ReviewRequest; r != nil {
		rp := p + ".review_request"
		c.status(rp+".trigger_status", r.TriggerStatus)
		c.nonNegative(rp+".delay", r.Delay)
		c.message(rp, r.Message, true)
	}
	statuses := map[OrderStatus]int{}
	for i, sc := range s.StatusCampaigns {
		sp := fmt.Sprintf("%s.status_campaigns[%d]", p, i)
		if c.status(sp+".status", sc.Status) {
			if first, dup := statuses[sc.Status]; dup {
				c.add(sp+".status", "duplicate campaign for status %s (also status_campaigns[%d])", sc.Status, first)
			} else {
				statuses[sc.Status] = i
			}
		}
		if sc.Event == "" && len(sc.Sequence) == 0 {
			c.add(sp, "needs an event, a sequence or both")
		}
		c.event(sp+".event", sc.Event)
		c.steps(sp+".sequence", sc.Sequence, false)
	}
	if sv := s.Survey; sv != nil {
		sp := p + ".survey"
		c.status(sp+".trigger_status", sv.TriggerStatus)
		c.nonNegative(sp+".delay", sv.Delay)
		switch {
		case sv.Link == "":
			if sv.Enabled {
				c.add(sp+".link", "is required: the survey URL, containing %s", OrderIDPlaceholder)
			}
		case !strings.Contains(sv.Link, OrderIDPlaceholder):
			c.add(sp+".link", "must contain %s so answers can be tied to the order, got %q", OrderIDPlaceholder, sv.Link)
		case !isHTTPURL(sv.LinkFor(1)):
			c.add(sp+".link", "must be an absolute http(s) URL, got %q", sv.Link)
		}
		c.message(sp, sv.Message, true)
	}
	if q := s.QuietHours; q != nil {
		qp := p + ".quiet_hours"
		if q.Start == q.End {
			c.add(qp+".end", "equals start (%s); remove quiet_hours for none", q.Start)
		}
		if q.Timezone == "" {
			c.add(qp+".timezone", "is required: an IANA zone such as America/New_York")
		} else if _, err := loadLocation(q.Timezone); err != nil {
			c.add(qp+".timezone", "unknown time zone %q (use an IANA name such as America/New_York or Europe/Paris)", q.Timezone)
		}
		for i, ch := range q.Channels {
			c.channel(fmt.Sprintf("%s.channels[%d]", qp, i), ch, false)
		}
		for _, t := range []struct {
			name string
			v    TimeOfDay
		}{{"start", q.Start}, {"end", q.End}} {
			if t.v.Hour < 0 || t.v.Hour > 23 || t.v.Minute < 0 || t.v.Minute > 59 {
				c.add(qp+"."+t.name, "must be a time HH:MM between 00:00 and 23:59")
			}
		}
	}
	if s.Consent != nil {
		c.consent(p+".consent", s.Consent)
	}
	if s.Sync != nil {
		c.sync(p+".sync", s.Sync)
	}
	if s.Segments != nil {
		c.segments(p+".segments", s.Segments)
	}
	c.segmentFlows(p, s.SegmentFlows)
	type capKey struct {
		ch  Channel
		per Duration
	}
	caps := map[capKey]int{}
	for i, fc := range s.FrequencyCaps {
		fp := fmt.Sprintf("%s.frequency_caps[%d]", p, i)
		c.channel(fp+".channel", fc.Channel, true)
		if fc.Max < 1 {
			c.add(fp+".max", "must be at least 1, got %d (remove the channel's messages instead)", fc.Max)
		}
		if fc.Per <= 0 {
			c.add(fp+".per", "must be a positive duration, got %q", fc.Per)
		}
		k := capKey{fc.Channel, fc.Per}
		if first, dup := caps[k]; dup {
			c.add(fp, "duplicate cap for %s per %s (also frequency_caps[%d])", fc.Channel, fc.Per, first)
		} else {
			caps[k] = i
		}
	}
}

func (c *checker) cartRecovery(p string, cr *CartRecovery) {
	if cr.AbandonedAfter <= 0 {
		c.add(p+".abandoned_after", "must be a positive duration, got %q", cr.AbandonedAfter)
	}
	if cr.HoldoutPercent < 0 || cr.HoldoutPercent > MaxHoldoutPercent {
		c.add(p+".holdout_percent", "must be between 0 and %d, got %d", MaxHoldoutPercent, cr.HoldoutPercent)
	}
	if cr.Enabled && len(cr.Steps) == 0 {
		c.add(p+".steps", "enabled cart recovery needs at least one step (or write enabled: false)")
	}
	c.steps(p+".steps", cr.Steps, true)
}

func (c *checker) orderGoals(p string, og *OrderGoals) {
	if !storeCodeRE.MatchString(og.StoreCode) {
		c.add(p+".store_code", "must be letters and digits (it prefixes goal call names), got %q", og.StoreCode)
	}
	if len(og.PlacedStatuses) == 0 {
		c.add(p+".placed_statuses", "must list at least one order status")
	}
	seenStatus := map[OrderStatus]int{}
	for i, s := range og.PlacedStatuses {
		sp := fmt.Sprintf("%s.placed_statuses[%d]", p, i)
		if !c.status(sp, s) {
			continue
		}
		if first, dup := seenStatus[s]; dup {
			c.add(sp, "duplicate status %s (also placed_statuses[%d])", s, first)
		} else {
			seenStatus[s] = i
		}
	}
	names := &uniqueNames{list: "goals", what: "goal name", re: goalNameRE, fold: true,
		shape: fmt.Sprintf("must be letters, digits, '_' or '-' (it becomes the call name %s<name>)", og.StoreCode)}
	for i, g := range og.Goals {
		gp := fmt.Sprintf("%s.goals[%d]", p, i)
		c.entryName(names, gp, i, g.Name)
		c.goal(gp, g)
	}
}

func (c *checker) goal(gp string, g Goal) {
	onlyFor := func(field, value string, kind GoalKind) {
		if value != "" && g.Kind != kind {
			c.add(gp+"."+field, "only applies to goals of kind %s (this goal is %s)", kind, g.Kind)
		}
	}
	switch g.Kind {
	case GoalNewCustomer, GoalRepeatCustomer:
	case GoalSKU:
		if strings.TrimSpace(g.SKU) == "" {
			c.add(gp+".sku", "is required for a sku goal: the product SKU that achieves it")
		}
	case GoalCoupon:
		if strings.TrimSpace(g.Code) == "" {
			c.add(gp+".code", "is required for a coupon goal: the coupon code that achieves it")
		}
	case GoalCustomerGroup:
		if strings.TrimSpace(g.Group) == "" {
			c.add(gp+".group", "is required for a customer_group goal: a group name from customer_groups or a numeric group id")
		}
	case "":
		c.add(gp+".kind", "is required: new_customer, repeat_customer, sku, coupon or customer_group")
	default:
		c.add(gp+".kind", "unknown goal kind %q (want new_customer, repeat_customer, sku, coupon or customer_group)", g.Kind)
	}
	onlyFor("sku", g.SKU, GoalSKU)
	onlyFor("code", g.Code, GoalCoupon)
	onlyFor("group", g.Group, GoalCustomerGroup)
	tags := map[string]int{}
	for i, t := range g.Tags {
		tp := fmt.Sprintf("%s.tags[%d]", gp, i)
		if strings.TrimSpace(t) == "" {
			c.add(tp, "must not be empty")
		} else if first, dup := tags[strings.ToLower(t)]; dup {
			c.add(tp, "duplicate tag %q (also tags[%d])", t, first)
		} else {
			tags[strings.ToLower(t)] = i
		}
	}
	c.steps(gp+".sequence", g.Sequence, false)
	if r := g.Replenishment; r != nil {
		rp := gp + ".replenishment"
		if g.Kind != GoalSKU && g.Kind != "" {
			c.add(rp, "only applies to goals of kind sku (this goal is %s)", g.Kind)
		}
		if r.PeriodPerUnit <= 0 {
			c.add(rp+".period_per_unit", "must be a positive duration (how long one unit lasts), got %q", r.PeriodPerUnit)
		}
		if r.RemindBefore < 0 {
			c.add(rp+".remind_before", "must not be negative, got %q", r.RemindBefore)
		} else if r.PeriodPerUnit > 0 && r.RemindBefore >= r.PeriodPerUnit {
			c.add(rp+".remind_before", "must be shorter than period_per_unit (%s), got %q", r.PeriodPerUnit, r.RemindBefore)
		}
		c.message(rp, r.Message, true)
		for i, s := range g.Sequence {
			if s.Name == ReplenishmentStep {
				c.add(fmt.Sprintf("%s.sequence[%d].name", gp, i), "%q is the replenishment reminder's own step name: choose another", s.Name)
			}
		}
	}
}

func (c *checker) loyalty(p string, l *Loyalty) {
	if !(l.PointsPerUnit > 0) || math.IsInf(l.PointsPerUnit, 0) {
		c.add(p+".points_per_unit", "must be a positive number, got %v", l.PointsPerUnit)
	}
	switch l.Rounding {
	case RoundFloor, RoundHalf, RoundCeil:
	default:
		c.add(p+".rounding", "must be floor, round or ceil, got %q", l.Rounding)
	}
	switch l.Base {
	case BaseSubtotalExTax, BaseTotalIncTax:
	default:
		c.add(p+".base", "must be subtotal_ex_tax or total_inc_tax, got %q", l.Base)
	}
	c.status(p+".award_status", l.AwardStatus)
	for ref, m := range l.GroupMultipliers {
		if !(m >= 0) || math.IsInf(m, 0) {
			c.add(mapKeyPath(p+".group_multipliers", ref), "must be 0 or more, got %v", m)
		}
	}
	names := map[string]int{}
	for i, t := range l.Tiers {
		tp := fmt.Sprintf("%s.tiers[%d]", p, i)
		if strings.TrimSpace(t.Name) == "" {
			c.add(tp+".name", "is required")
		} else if first, dup := names[strings.ToLower(t.Name)]; dup {
			c.add(tp+".name", "duplicate tier %q (also tiers[%d])", t.Name, first)
		} else {
			names[strings.ToLower(t.Name)] = i
		}
		switch {
		case i == 0 && t.MinPoints != 0:
			c.add(tp+".min_points", "the first tier must start at 0 so every customer has a tier, got %d", t.MinPoints)
		case i > 0 && t.MinPoints <= l.Tiers[i-1].MinPoints:
			c.add(tp+".min_points", "must be more than the previous tier's %d (list tiers from lowest to highest), got %d", l.Tiers[i-1].MinPoints, t.MinPoints)
		}
		if !(t.Multiplier > 0) || math.IsInf(t.Multiplier, 0) {
			c.add(tp+".multiplier", "must be a positive number, got %v", t.Multiplier)
		}
	}
	b := reflect.ValueOf(l.Bonuses)
	for i := 0; i < b.NumField(); i++ {
		if v := b.Field(i).Int(); v < 0 {
			name, _, _ := strings.Cut(b.Type().Field(i).Tag.Get("yaml"), ",")
			c.add(p+".bonuses."+name, "must be 0 or more, got %d", v)
		}
	}
	bp := p + ".b2b"
	if l.B2B.Enabled && len(l.B2B.Groups) == 0 {
		c.add(bp+".groups", "must list the B2B customer groups (or write enabled: false)")
	}
	if !(l.B2B.ReorderPointsPerUnit >= 0) || math.IsInf(l.B2B.ReorderPointsPerUnit, 0) {
		c.add(bp+".reorder_points_per_unit", "must be 0 or more, got %v", l.B2B.ReorderPointsPerUnit)
	}
	if !(l.B2B.VolumeThreshold >= 0) || math.IsInf(l.B2B.VolumeThreshold, 0) {
		c.add(bp+".volume_threshold", "must be 0 or more, got %v", l.B2B.VolumeThreshold)
	}
	if l.B2B.Enabled && (!(l.B2B.VolumeMultiplier > 0) || math.IsInf(l.B2B.VolumeMultiplier, 0)) {
		c.add(bp+".volume_multiplier", "must be a positive number, got %v", l.B2B.VolumeMultiplier)
	}
	if r := l.Redemption; r.Enabled {
		rp := p + ".redemption"
		if r.PointsPerCoupon < 1 {
			c.add(rp+".points_per_coupon", "must be at least 1, got %d", r.PointsPerCoupon)
		}
		if !(r.CouponValue > 0) || math.IsInf(r.CouponValue, 0) {
			c.add(rp+".coupon_value", "must be a positive amount, got %v", r.CouponValue)
		}
		if r.CouponExpiresAfter <= 0 {
			c.add(rp+".coupon_expires_after", "must be a positive duration, got %q", r.CouponExpiresAfter)
		}
	}
}

// steps checks a list of timed steps. Cart recovery delays count from
// abandonment and must be positive; other sequences may start at 0s.
func (c *checker) steps(p string, steps []Step, positive bool) {
	names := map[string]int{}
	for i, s := range steps {
		sp := fmt.Sprintf("%s[%d]", p, i)
		if strings.TrimSpace(s.Name) == "" {
			c.add(sp+".name", "is required")
		} else if first, dup := names[s.Name]; dup {
			c.add(sp+".name", "duplicate step name %q (also %s[%d])", s.Name, p, first)
		} else {
			names[s.Name] = i
		}
		switch {
		case positive && s.Delay <= 0:
			c.add(sp+".delay", "must be a positive duration, got %q", s.Delay)
		case s.Delay < 0:
			c.add(sp+".delay", "must not be negative, got %q", s.Delay)
		case i > 0 && s.Delay <= steps[i-1].Delay:
			c.add(sp+".delay", "must be longer than the previous step's %s: steps are listed in order of increasing delay, got %q", steps[i-1].Delay, s.Delay)
		}
		c.message(sp, s.Message, true)
	}
}

func (c *checker) nonNegative(p string, d Duration) {
	if d < 0 {
		c.add(p, "must not be negative, got %q", d)
	}
}

// status reports whether s is valid, adding a problem if not.
func (c *checker) status(p string, s OrderStatus) bool {
	if !s.Valid() {
		c.add(p, "unknown order status id %d (BigCommerce ids are 0 to %d)", int(s), len(statusNames)-1)
		return false
	}
	return true
}

func (c *checker) channel(p string, ch Channel, anyOK bool) {
	switch ch {
	case ChannelEmail, ChannelSMS, ChannelWhatsApp:
		return
	case ChannelAny:
		if anyOK {
			return
		}
	case "":
		c.add(p, "is required: email, sms or whatsapp")
		return
	}
	want := "email, sms or whatsapp"
	if anyOK {
		want = "email, sms, whatsapp or any"
	}
	c.add(p, "unknown channel %q (want %s)", ch, want)
}

func (c *checker) event(p, name string) {
	if name != "" && (!eventNameRE.MatchString(name) || len(name) > 64) {
		c.add(p, "must be letters, digits, '_' or '-' (at most 64), got %q", name)
	}
}

// message checks what a step, reminder or request sends. With needContent it
// must send a template, emit an event, or both.
func (c *checker) message(p string, m Message, needContent bool) {
	t := m.Template
	tp := p + ".template"
	if t.IsZero() {
		if needContent && m.Event == "" {
			c.add(tp, "is required: brevo_template_id, or subject and body (or give an event instead)")
		} else if m.Channel != "" {
			c.add(p+".channel", "is set but there is no template to send")
		}
	} else {
		c.channel(p+".channel", m.Channel, false)
		if t.BrevoTemplateID < 0 {
			c.add(tp+".brevo_template_id", "must be a positive template id, got %d", t.BrevoTemplateID)
		}
		if t.BrevoTemplateID != 0 && (t.Subject != "" || t.Body != "") {
			c.add(tp, "use either brevo_template_id or subject and body, not both")
		}
		switch m.Channel {
		case ChannelEmail:
			if t.BrevoTemplateID == 0 {
				if t.Subject == "" {
					c.add(tp+".subject", "is required for an inline email template")
				}
				if t.Body == "" {
					c.add(tp+".body", "is required for an inline email template")
				}
			}
		case ChannelSMS:
			if t.BrevoTemplateID != 0 {
				c.add(tp+".brevo_template_id", "Brevo has no SMS templates: write the text in body")
			} else if t.Body == "" {
				c.add(tp+".body", "is required for sms: the text message")
			}
			if t.Subject != "" {
				c.add(tp+".subject", "only applies to email")
			}
		case ChannelWhatsApp:
			if t.BrevoTemplateID == 0 && t.Body == "" {
				c.add(tp+".body", "is required for whatsapp without brevo_template_id")
			}
			if t.Subject != "" {
				c.add(tp+".subject", "only applies to email")
			}
		}
		c.templateSyntax(tp+".subject", t.Subject)
		c.templateSyntax(tp+".body", t.Body)
	}
	if cp := m.Coupon; cp != nil {
		if cp.Percent < 1 || cp.Percent > 100 {
			c.add(p+".coupon.percent", "must be between 1 and 100, got %d", cp.Percent)
		}
		if cp.ExpiresAfter <= 0 {
			c.add(p+".coupon.expires_after", "must be a positive duration, got %q", cp.ExpiresAfter)
		}
	}
	for i, r := range m.Requires {
		switch r {
		case RequireEmailConsent, RequireSMSConsent, RequireWhatsAppConsent:
		default:
			c.add(fmt.Sprintf("%s.requires[%d]", p, i), "unknown requirement %q (want email_consent, sms_consent or whatsapp_consent)", r)
		}
	}
	c.event(p+".event", m.Event)
}

// templateSyntax checks a Go text/template without requiring its functions
// to be known (the sender defines them).
func (c *checker) templateSyntax(p, text string) {
	if !strings.Contains(text, "{{") {
		return
	}
	t := parse.New("t")
	t.Mode = parse.SkipFuncCheck
	if _, err := t.Parse(text, "{{", "}}", map[string]*parse.Tree{}); err != nil {
		msg := strings.TrimPrefix(err.Error(), "template: t:")
		if line, rest, ok := strings.Cut(msg, ": "); ok {
			msg = "line " + line + " of the text: " + rest
		}
		c.add(p, "invalid template syntax at %s", msg)
	}
}
