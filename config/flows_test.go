package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestDefaultFlowsAreTheEmbeddedFile(t *testing.T) {
	onDisk, err := os.ReadFile("flows.default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, DefaultFlowsYAML()) {
		t.Fatal("DefaultFlowsYAML differs from flows.default.yaml")
	}
	parsed, err := ParseFlows("flows.default.yaml", onDisk)
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultFlows(); !reflect.DeepEqual(parsed, want) {
		got, _ := yaml.Marshal(parsed)
		exp, _ := yaml.Marshal(want)
		t.Fatalf("flows.default.yaml decodes differently from DefaultFlows()\nparsed:\n%s\nDefaultFlows:\n%s", got, exp)
	}
	if err := DefaultFlows().Validate(); err != nil {
		t.Fatalf("DefaultFlows is invalid: %v", err)
	}
}

// Callers change what DefaultFlows returns (tests, flows check): that must
// not reach the built-in playbook, nor the defaults of keys a file omits.
func TestDefaultFlowsReturnsCopies(t *testing.T) {
	f := DefaultFlows()
	f.Defaults.CartRecovery.Steps[0].Name = "changed"
	f.Defaults.Loyalty.GroupMultipliers["VIP"] = 9
	f.Defaults.Loyalty.Tiers[0].Name = "changed"
	f.Defaults.OrderGoals.PlacedStatuses[0] = StatusRefunded
	f.Defaults.ReviewRequest.Requires[0] = RequireSMSConsent

	again := DefaultFlows().Defaults
	if again.CartRecovery.Steps[0].Name != "reminder" || again.Loyalty.GroupMultipliers["VIP"] != 1.5 ||
		again.Loyalty.Tiers[0].Name != "Bronze" || again.OrderGoals.PlacedStatuses[0] != StatusAwaitingFulfillment ||
		again.ReviewRequest.Requires[0] != RequireEmailConsent {
		t.Fatalf("a change to one DefaultFlows() reached the next: %+v", again)
	}
	written, err := ParseFlows("f.yaml", []byte("defaults:\n  cart_recovery: {abandoned_after: 2h}\n  loyalty: {points_per_unit: 2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cr := written.Defaults.CartRecovery; cr.Steps[0].Name != "reminder" || cr.AbandonedAfter.Std() != 2*time.Hour {
		t.Errorf("an omitted key should take the built-in value: %+v", cr)
	}
	if l := written.Defaults.Loyalty; l.GroupMultipliers["VIP"] != 1.5 || l.PointsPerUnit != 2 {
		t.Errorf("an omitted key should take the built-in value: %+v", l)
	}
	written.Defaults.CartRecovery.Steps[0].Name = "changed"
	if DefaultFlows().Defaults.CartRecovery.Steps[0].Name != "reminder" {
		t.Error("a parsed file shares its defaults with the built-in playbook")
	}
}

func TestDefaultFlowsPlaybook(t *testing.T) {
	fs := DefaultFlows().For("anystore", 1)
	cr := fs.CartRecovery
	if !cr.Enabled || len(cr.Steps) != 3 {
		t.Fatalf("cart recovery = %+v", cr)
	}
	want := []struct {
		delay   time.Duration
		channel Channel
		subject string
		coupon  int
		needs   Requirement
	}{
		{time.Hour, ChannelEmail, "You left something behind!", 0, RequireEmailConsent},
		{24 * time.Hour, ChannelEmail, "Your cart is waiting - 10% off inside", 10, RequireEmailConsent},
		{72 * time.Hour, ChannelSMS, "", 0, RequireSMSConsent},
	}
	for i, w := range want {
		s := cr.Steps[i]
		coupon := 0
		if s.Coupon != nil {
			coupon = s.Coupon.Percent
		}
		if s.Delay.Std() != w.delay || s.Channel != w.channel || s.Template.Subject != w.subject || coupon != w.coupon || !reflect.DeepEqual(s.Requires, []Requirement{w.needs}) {
			t.Errorf("step %d = %+v", i, s)
		}
	}
	l := fs.Loyalty
	if !l.Enabled || l.PointsPerUnit != 1 || l.Rounding != RoundFloor || l.Base != BaseSubtotalExTax || l.AwardStatus != StatusCompleted {
		t.Errorf("loyalty = %+v", l)
	}
	if !reflect.DeepEqual(l.GroupMultipliers, map[string]float64{"Retail": 1, "VIP": 1.5, "Wholesale": 0.5, "Platinum": 2}) {
		t.Errorf("group multipliers = %v", l.GroupMultipliers)
	}
	var tiers []string
	for _, tr := range l.Tiers {
		tiers = append(tiers, tr.Name+":"+time.Duration(tr.MinPoints).String())
	}
	if got := strings.Join(tiers, " "); got != "Bronze:0s Silver:1µs Gold:5µs Platinum:15µs" {
		t.Errorf("tiers = %s", got)
	}
	if l.Bonuses != (Bonuses{AccountCreation: 100, FirstPurchase: 200, ReviewSubmitted: 50, Referral: 500, Birthday: 100, NewsletterSignup: 25}) {
		t.Errorf("bonuses = %+v", l.Bonuses)
	}
	if l.B2B.ReorderPointsPerUnit != 0.5 || l.B2B.VolumeMultiplier != 1.5 {
		t.Errorf("b2b = %+v", l.B2B)
	}
	rr := fs.ReviewRequest
	if !rr.Enabled || rr.Delay.Std() != 14*24*time.Hour || rr.TriggerStatus != StatusCompleted {
		t.Errorf("review request = %+v", rr)
	}
	og := fs.OrderGoals
	if og.StoreCode != "BC" || !reflect.DeepEqual(og.PlacedStatuses, []OrderStatus{11, 9, 8, 3, 2, 10}) {
		t.Errorf("order goals = %+v", og)
	}
	if fs.Survey.Enabled || fs.QuietHours != nil || len(fs.FrequencyCaps) != 0 {
		t.Errorf("survey, quiet hours and caps are not in the default playbook: %+v %+v %+v", fs.Survey, fs.QuietHours, fs.FrequencyCaps)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	example, err := LoadFlows(filepath.Join("examples", "multistore.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]*Flows{"default": DefaultFlows(), "example": example} {
		out, err := yaml.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseFlows(name, out)
		if err != nil {
			t.Fatalf("%s: marshalled flows do not parse: %v\n%s", name, err, out)
		}
		if !reflect.DeepEqual(back, f) {
			t.Errorf("%s: round trip changed the flows:\n%s", name, out)
		}
	}
}

func TestDurations(t *testing.T) {
	parse := []struct {
		in   string
		want time.Duration
		str  string
	}{
		{"14d", 14 * Day, "14d"},
		{"1d12h", 36 * time.Hour, "1d12h"},
		{"36h", 36 * time.Hour, "1d12h"},
		{"90m", 90 * time.Minute, "1h30m"},
		{"1h30m", 90 * time.Minute, "1h30m"},
		{"0", 0, "0s"},
		{"0s", 0, "0s"},
		{"0d", 0, "0s"},
		{"-1h", -time.Hour, "-1h"},
		{"-2d", -2 * Day, "-2d"},
		{"+45s", 45 * time.Second, "45s"},
		{"1.5h", 90 * time.Minute, "1h30m"},
		{"2d500ms", 2*Day + 500*time.Millisecond, "2d500ms"},
		{" 7d ", 7 * Day, "7d"},
	}
	for _, tt := range parse {
		d, err := ParseDuration(tt.in)
		if err != nil || d.Std() != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, d.Std(), err, tt.want)
			continue
		}
		if d.String() != tt.str {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.want, d.String(), tt.str)
		}
		if back, err := ParseDuration(d.String()); err != nil || back != d {
			t.Errorf("String() of %q does not parse back: %v %v", tt.in, back, err)
		}
	}
	j, err := json.Marshal(struct{ D Duration }{MustParseDuration("1d12h")})
	if err != nil || string(j) != `{"D":"1d12h"}` {
		t.Errorf("json = %s, %v", j, err)
	}
	var back struct{ D Duration }
	if err := json.Unmarshal(j, &back); err != nil || back.D.Std() != 36*time.Hour {
		t.Errorf("json round trip = %v, %v", back.D, err)
	}
	for _, bad := range []string{"", "d", "1.5d", "1h2d", "14days", "1d-2h", "abc", "5", "1dd", "-d", "99999999999d"} {
		if d, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", bad, d)
		}
	}
}

func TestOrderStatus(t *testing.T) {
	for in, want := range map[string]OrderStatus{
		"11": 11, "0": 0, "14": 14, "Awaiting Fulfillment": 11, "awaiting_fulfillment": 11,
		"AWAITING-FULFILLMENT": 11, "  shipped ": 2, "Canceled": 5, "Cancelled": 5,
		"Manual Verification Required": 12,
	} {
		got, err := ParseOrderStatus(in)
		if err != nil || got != want {
			t.Errorf("ParseOrderStatus(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"15", "-1", "Shiped", "", "done"} {
		if got, err := ParseOrderStatus(bad); err == nil {
			t.Errorf("ParseOrderStatus(%q) = %v, want an error", bad, got)
		}
	}
	if StatusAwaitingFulfillment.String() != "Awaiting Fulfillment" || OrderStatus(42).String() != "42" {
		t.Error("OrderStatus.String")
	}
}

func TestTimeOfDay(t *testing.T) {
	for in, want := range map[string]TimeOfDay{"08:00": {8, 0}, "8:05": {8, 5}, "23:59": {23, 59}, "00:00": {0, 0}} {
		if got, err := ParseTimeOfDay(in); err != nil || got != want {
			t.Errorf("ParseTimeOfDay(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"24:00", "9pm", "12:60", "12:5", "123:00", "-1:00", "12:+5", ""} {
		if got, err := ParseTimeOfDay(bad); err == nil {
			t.Errorf("ParseTimeOfDay(%q) = %v, want an error", bad, got)
		}
	}
}

// flowsCase is a file and the exact error ParseFlows must return ("" = valid).
type flowsCase struct {
	name string
	yaml string
	want string
}

func runFlowsCases(t *testing.T, cases []flowsCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFlows("flows.yaml", []byte(tt.yaml))
			got := ""
			if err != nil {
				got = err.Error()
				var fe *FlowsError
				if !errors.As(err, &fe) || len(fe.Problems) == 0 || fe.File != "flows.yaml" {
					t.Fatalf("error is not a *FlowsError with problems: %#v", err)
				}
				if n := strings.Count(got, "\n") + 1; n != len(fe.Problems) {
					t.Errorf("%d lines for %d problems", n, len(fe.Problems))
				}
			}
			if got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// cartWith returns a file whose cart recovery has the given step lines
// (indented for the steps list), starting at line 5.
func cartWith(steps string) string {
	return "version: 1\ndefaults:\n  cart_recovery:\n    steps:\n" + steps
}

func TestParseFlowsCartRecoveryErrors(t *testing.T) {
	runFlowsCases(t, []flowsCase{
		{"the documented example", `version: 1
defaults:
  cart_recovery:
    abandoned_after: 1h
    steps:
      - name: first
        delay: 1h
        channel: email
        template:
          subject: Hi
          body: Come back
      - name: second
        channel: email
        delay: -1h
        template: {brevo_template_id: 3}
`, `flows.yaml:14: defaults.cart_recovery.steps[1].delay: must be a positive duration, got "-1h"`},
		{"valid minimal", cartWith(`      - {name: a, delay: 1h, channel: email, template: {brevo_template_id: 1}}
`), ""},
		{"zero delay", cartWith(`      - {name: a, delay: 0s, channel: email, template: {brevo_template_id: 1}}
`), `flows.yaml:5: defaults.cart_recovery.steps[0].delay: must be a positive duration, got "0s"`},
		{"steps out of order", cartWith(`      - {name: a, delay: 1d, channel: email, template: {brevo_template_id: 1}}
      - {name: b, delay: 2h, channel: email, template: {brevo_template_id: 2}}
`), `flows.yaml:6: defaults.cart_recovery.steps[1].delay: must be longer than the previous step's 1d: steps are listed in order of increasing delay, got "2h"`},
		{"duplicate step names", cartWith(`      - {name: a, delay: 1h, channel: email, template: {brevo_template_id: 1}}
      - {name: a, delay: 2h, channel: email, template: {brevo_template_id: 2}}
`), `flows.yaml:6: defaults.cart_recovery.steps[1].name: duplicate step name "a" (also defaults.cart_recovery.steps[0])`},
		{"unknown channel", cartWith(`      - name: a
        delay: 1h
        channel: pigeon
        template: {brevo_template_id: 1}
`), `flows.yaml:7: defaults.cart_recovery.steps[0].channel: unknown channel "pigeon" (want email, sms or whatsapp)`},
		{"missing channel", cartWith(`      - name: a
        delay: 1h
        template: {brevo_template_id: 1}
`), `flows.yaml:5: defaults.cart_recovery.steps[0].channel: is required: email, sms or whatsapp`},
		{"missing template", cartWith(`      - name: a
        delay: 1h
        channel: email
`), `flows.yaml:5: defaults.cart_recovery.steps[0].template: is required: brevo_template_id, or subject and body (or give an event instead)`},
		{"template id and inline", cartWith(`      - name: a
        delay: 1h
        channel: email
        template: {brevo_template_id: 4, subject: Hi, body: x}
`), `flows.yaml:8: defaults.cart_recovery.steps[0].template: use either brevo_template_id or subject and body, not both`},
		{"email without subject", cartWith(`      - name: a
        delay: 1h
        channel: email
        template:
          body: hello
`), `flows.yaml:8: defaults.cart_recovery.steps[0].template.subject: is required for an inline email template`},
		{"sms with subject and template id", cartWith(`      - name: a
        delay: 1h
        channel: sms
        template: {brevo_template_id: 9, subject: Hi}
`), `flows.yaml:8: defaults.cart_recovery.steps[0].template: use either brevo_template_id or subject and body, not both
flows.yaml:8: defaults.cart_recovery.steps[0].template.brevo_template_id: Brevo has no SMS templates: write the text in body
flows.yaml:8: defaults.cart_recovery.steps[0].template.subject: only applies to email`},
		{"template syntax", cartWith(`      - name: a
        delay: 1h
        channel: sms
        template:
          body: "Hi {{.FirstName"
`), `flows.yaml:9: defaults.cart_recovery.steps[0].template.body: invalid template syntax at line 1 of the text: unclosed action`},
		{"unknown template functions are the sender's business", cartWith(`      - name: a
        delay: 1h
        channel: sms
        template: {body: "{{money .Total}} left in your cart"}
`), ""},
		{"coupon percent", cartWith(`      - name: a
        delay: 1h
        channel: email
        template: {brevo_template_id: 1}
        coupon:
          percent: 101
          expires_after: -1d
`), `flows.yaml:10: defaults.cart_recovery.steps[0].coupon.percent: must be between 1 and 100, got 101
flows.yaml:11: defaults.cart_recovery.steps[0].coupon.expires_after: must be a positive duration, got "-1d"`},
		{"coupon percent missing", cartWith(`      - name: a
        delay: 1h
        channel: email
        template: {brevo_template_id: 1}
        coupon: {expires_after: 2d}
`), `flows.yaml:9: defaults.cart_recovery.steps[0].coupon.percent: is required`},
		{"unknown requirement", cartWith(`      - name: a
        delay: 1h
        channel: sms
        requires: [sms_optin]
        template: {body: hi}
`), `flows.yaml:8: defaults.cart_recovery.steps[0].requires[0]: unknown requirement "sms_optin" (want email_consent, sms_consent or whatsapp_consent)`},
		{"bad duration text", cartWith(`      - name: a
        delay: soon
        channel: email
        template: {brevo_template_id: 1}
`), `flows.yaml:6: defaults.cart_recovery.steps[0].delay: must be a duration like 90m, 36h, 14d or 1d12h, got "soon"`},
		{"missing delay", cartWith(`      - name: a
        channel: email
        template: {brevo_template_id: 1}
`), `flows.yaml:5: defaults.cart_recovery.steps[0].delay: is required`},
		{"enabled without steps", "defaults:\n  cart_recovery:\n    steps: []\n",
			`flows.yaml:3: defaults.cart_recovery.steps: enabled cart recovery needs at least one step (or write enabled: false)`},
		{"disabled without steps", "defaults:\n  cart_recovery:\n    enabled: false\n    steps: []\n", ""},
		{"abandoned_after", "defaults:\n  cart_recovery:\n    abandoned_after: 0s\n",
			`flows.yaml:3: defaults.cart_recovery.abandoned_after: must be a positive duration, got "0s"`},
		{"holdout above the maximum", "defaults:\n  cart_recovery:\n    holdout_percent: 91\n",
			`flows.yaml:3: defaults.cart_recovery.holdout_percent: must be between 0 and 90, got 91`},
		{"negative holdout", "stores:\n  - store_hash: abc\n    channels:\n      - channel_id: 2\n        cart_recovery:\n          holdout_percent: -5\n",
			`flows.yaml:6: stores[0].channels[0].cart_recovery.holdout_percent: must be between 0 and 90, got -5`},
		{"holdout not a number", "defaults:\n  cart_recovery:\n    holdout_percent: half\n",
			`flows.yaml:3: defaults.cart_recovery.holdout_percent: must be a whole number, got "half"`},
		{"holdout at the maximum", "defaults:\n  cart_recovery:\n    holdout_percent: 90\n", ""},
	})
}

// TestHoldoutPercentPerStoreAndChannel: holdout_percent defaults to 0 and
// follows the section overlay like every key of cart_recovery.
func TestHoldoutPercentPerStoreAndChannel(t *testing.T) {
	if got := DefaultFlows().For("any", 1).CartRecovery.HoldoutPercent; got != 0 {
		t.Fatalf("built-in holdout_percent = %d, want 0", got)
	}
	f, err := ParseFlows("f.yaml", []byte(`defaults:
  cart_recovery: {holdout_percent: 10}
stores:
  - store_hash: abc
    cart_recovery: {holdout_percent: 50}
    channels:
      - channel_id: 2
        cart_recovery: {abandoned_after: 2h}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		store   string
		channel int
		want    int
	}{{"zzz", 1, 10}, {"abc", 1, 50}, {"abc", 2, 0}} {
		if got := f.For(c.store, c.channel).CartRecovery.HoldoutPercent; got != c.want {
			t.Errorf("For(%s, %d).holdout_percent = %d, want %d", c.store, c.channel, got, c.want)
		}
	}
}

func TestParseFlowsStructureErrors(t *testing.T) {
	runFlowsCases(t, []flowsCase{
		{"unknown key with suggestion", "defaults:\n  cart_recovery:\n    enabeld: true\n",
			`flows.yaml:3: defaults.cart_recovery.enabeld: unknown field "enabeld" (did you mean "enabled"?)`},
		{"unknown top-level key lists the known ones", "defaults: {}\nshops: []\n",
			`flows.yaml:2: shops: unknown field "shops"; known fields: version, defaults, stores, element_defaults`},
		{"unknown section", "defaults:\n  cart_recovry: {}\n",
			`flows.yaml:2: defaults.cart_recovry: unknown field "cart_recovry" (did you mean "cart_recovery"?)`},
		{"steps not a list", "defaults:\n  cart_recovery:\n    steps: {name: a}\n",
			`flows.yaml:3: defaults.cart_recovery.steps: must be a list (lines starting with "- " or [a, b]), got a mapping (key: value lines)`},
		{"section not a mapping", "defaults:\n  loyalty: yes\n",
			`flows.yaml:2: defaults.loyalty: must be a mapping (key: value lines), got "yes"`},
		{"yes is not a boolean", "defaults:\n  loyalty:\n    enabled: yes\n",
			`flows.yaml:3: defaults.loyalty.enabled: must be true or false, got "yes"`},
		{"number expected", "defaults:\n  loyalty:\n    points_per_unit: lots\n",
			`flows.yaml:3: defaults.loyalty.points_per_unit: must be a number, got "lots"`},
		{"whole number expected", "defaults:\n  loyalty:\n    bonuses: {birthday: 1.5}\n",
			`flows.yaml:3: defaults.loyalty.bonuses.birthday: must be a whole number, got "1.5"`},
		{"duplicate key", "defaults:\n  review_request:\n    delay: 1d\n    delay: 2d\n",
			`flows.yaml:4: defaults.review_request.delay: duplicate key "delay" (first on line 3)`},
		{"merge keys", "base: &b {delay: 1d}\n",
			`flows.yaml:1: base: unknown field "base"; known fields: version, defaults, stores, element_defaults`},
		{"merge key inside", "defaults:\n  review_request:\n    <<: {delay: 1d}\n",
			`flows.yaml:3: defaults.review_request: merge keys (<<) are not supported; put the anchor on a whole value instead (template: *welcome)`},
		{"anchors and aliases work", `defaults:
  cart_recovery:
    steps:
      - {name: a, delay: 1h, channel: email, template: &t {brevo_template_id: 7}}
  review_request:
    template: *t
`, ""},
		{"version", "version: 2\n", `flows.yaml:1: version: unsupported version 2 (this bcflow reads version 1)`},
		{"syntax error", "defaults:\n  cart_recovery: [\n", `flows.yaml:2: invalid YAML: did not find expected node content`},
		{"empty file", "", "flows.yaml:1: the file is empty; start from a copy of the built-in flows (config/flows.default.yaml)"},
		{"problems are collected and sorted by line", `defaults:
  loyalty:
    rounding: up
  cart_recovery:
    abandoned_after: never
  review_request:
    delya: 1d
`, `flows.yaml:3: defaults.loyalty.rounding: must be floor, round or ceil, got "up"
flows.yaml:5: defaults.cart_recovery.abandoned_after: must be a duration like 90m, 36h, 14d or 1d12h, got "never"
flows.yaml:7: defaults.review_request.delya: unknown field "delya" (did you mean "delay"?)`},
	})
}

func TestParseFlowsSectionErrors(t *testing.T) {
	runFlowsCases(t, []flowsCase{
		{"quiet hours format", "defaults:\n  quiet_hours:\n    start: 9pm\n    end: \"08:00\"\n    timezone: UTC\n",
			`flows.yaml:3: defaults.quiet_hours.start: must be a time HH:MM between 00:00 and 23:59, got "9pm"`},
		{"quiet hours time zone", "defaults:\n  quiet_hours:\n    start: \"21:00\"\n    end: \"08:00\"\n    timezone: America/NewYork\n",
			`flows.yaml:5: defaults.quiet_hours.timezone: unknown time zone "America/NewYork" (use an IANA name such as America/New_York or Europe/Paris)`},
		{"quiet hours equal", "defaults:\n  quiet_hours:\n    start: \"21:00\"\n    end: \"21:00\"\n    timezone: UTC\n    channels: [fax]\n",
			`flows.yaml:4: defaults.quiet_hours.end: equals start (21:00); remove quiet_hours for none
flows.yaml:6: defaults.quiet_hours.channels[0]: unknown channel "fax" (want email, sms or whatsapp)`},
		{"quiet hours missing keys", "defaults:\n  quiet_hours:\n    start: \"21:00\"\n",
			`flows.yaml:2: defaults.quiet_hours.end: is required
flows.yaml:2: defaults.quiet_hours.timezone: is required`},
		{"frequency caps", "defaults:\n  frequency_caps:\n    - {channel: carrier, max: 0, per: 1d}\n    - {channel: any, max: 2, per: 7d}\n    - {channel: any, max: 3, per: 7d}\n",
			`flows.yaml:3: defaults.frequency_caps[0].channel: unknown channel "carrier" (want email, sms, whatsapp or any)
flows.yaml:3: defaults.frequency_caps[0].max: must be at least 1, got 0 (remove the channel's messages instead)
flows.yaml:5: defaults.frequency_caps[2]: duplicate cap for any per 7d (also frequency_caps[1])`},
		{"review request status", "defaults:\n  review_request:\n    trigger_status: Delivered\n",
			`flows.yaml:3: defaults.review_request.trigger_status: unknown order status "Delivered"; known statuses: Incomplete, Pending, Shipped, Partially Shipped, Refunded, Cancelled, Declined, Awaiting Payment, Awaiting Pickup, Awaiting Shipment, Completed, Awaiting Fulfillment, Manual Verification Required, Disputed, Partially Refunded`},
		{"review request template replaces the built-in one", "defaults:\n  review_request:\n    template: {brevo_template_id: 5}\n", ""},
		{"survey link", "defaults:\n  survey:\n    link: https://example.com/survey\n    channel: email\n    template: {brevo_template_id: 1}\n",
			`flows.yaml:3: defaults.survey.link: must contain {order_id} so answers can be tied to the order, got "https://example.com/survey"`},
		{"survey link missing", "defaults:\n  survey:\n    channel: email\n    template: {brevo_template_id: 1}\n",
			`flows.yaml:2: defaults.survey.link: is required: the survey URL, containing {order_id}`},
		{"survey link not a URL", "defaults:\n  survey:\n    link: \"survey/{order_id}\"\n    channel: email\n    template: {brevo_template_id: 1}\n",
			`flows.yaml:3: defaults.survey.link: must be an absolute http(s) URL, got "survey/{order_id}"`},
		{"status campaigns", "defaults:\n  status_campaigns:\n    - status: Shipped\n    - status: 2\n      event: \"order shipped\"\n",
			`flows.yaml:3: defaults.status_campaigns[0]: needs an event, a sequence or both
flows.yaml:4: defaults.status_campaigns[1].status: duplicate campaign for status Shipped (also status_campaigns[0])
flows.yaml:5: defaults.status_campaigns[1].event: must be letters, digits, '_' or '-' (at most 64), got "order shipped"`},
		{"loyalty", `defaults:
  loyalty:
    points_per_unit: 0
    base: total
    tiers:
      - {name: Silver, min_points: 100}
      - {name: Gold, min_points: 50, multiplier: 0}
    bonuses: {referral: -5}
    redemption: {coupon_value: 0}
`, `flows.yaml:3: defaults.loyalty.points_per_unit: must be a positive number, got 0
flows.yaml:4: defaults.loyalty.base: must be subtotal_ex_tax or total_inc_tax, got "total"
flows.yaml:6: defaults.loyalty.tiers[0].min_points: the first tier must start at 0 so every customer has a tier, got 100
flows.yaml:7: defaults.loyalty.tiers[1].min_points: must be more than the previous tier's 100 (list tiers from lowest to highest), got 50
flows.yaml:7: defaults.loyalty.tiers[1].multiplier: must be a positive number, got 0
flows.yaml:8: defaults.loyalty.bonuses.referral: must be 0 or more, got -5
flows.yaml:9: defaults.loyalty.redemption.coupon_value: must be a positive amount, got 0`},
		{"loyalty group typo", "defaults:\n  customer_groups: [Retail, VIP]\n  loyalty:\n    group_multipliers: {VPI: 2}\n    b2b: {groups: [Retail]}\n",
			`flows.yaml:4: defaults.loyalty.group_multipliers.VPI: unknown customer group "VPI" (customer_groups lists Retail, VIP) or use the numeric group id`},
		{"built-in multipliers are not blamed on the file", "defaults:\n  customer_groups: [Retail]\n  loyalty:\n    b2b: {enabled: false}\n", ""},
		{"numeric customer group names", "defaults:\n  customer_groups: [Retail, \"12\", retail]\n",
			`flows.yaml:2: defaults.customer_groups[1]: group names cannot be numbers (numbers already mean group ids), got "12"
flows.yaml:2: defaults.customer_groups[2]: duplicate customer group "retail" (also customer_groups[0])`},
	})
}

func TestParseFlowsGoalErrors(t *testing.T) {
	head := "defaults:\n  customer_groups: [Retail, VIP]\n  order_goals:\n    goals:\n"
	runFlowsCases(t, []flowsCase{
		{"valid goals", head + `      - {name: welcome, kind: new_customer, tags: [new]}
      - {name: again, kind: repeat_customer}
      - {name: beans, kind: sku, sku: BEANS, replenishment: {period_per_unit: 30d, channel: email, template: {brevo_template_id: 2}}}
      - {name: spring, kind: coupon, code: spring10}
      - {name: vip, kind: customer_group, group: vip}
      - {name: g7, kind: customer_group, group: "7"}
`, ""},
		{"sku goal without sku", head + "      - name: beans\n        kind: sku\n",
			`flows.yaml:5: defaults.order_goals.goals[0].sku: is required for a sku goal: the product SKU that achieves it`},
		{"coupon goal without code", head + "      - name: spring\n        kind: coupon\n        tags: [sale]\n",
			`flows.yaml:5: defaults.order_goals.goals[0].code: is required for a coupon goal: the coupon code that achieves it`},
		{"unknown group", head + "      - name: vip\n        kind: customer_group\n        group: VPI\n",
			`flows.yaml:7: defaults.order_goals.goals[0].group: unknown customer group "VPI" (customer_groups lists Retail, VIP) or use the numeric group id`},
		{"group goal without group", head + "      - {name: vip, kind: customer_group}\n",
			`flows.yaml:5: defaults.order_goals.goals[0].group: is required for a customer_group goal: a group name from customer_groups or a numeric group id`},
		{"replenishment without period", head + `      - name: beans
        kind: sku
        sku: BEANS
        replenishment:
          channel: email
          template: {brevo_template_id: 3}
`, `flows.yaml:8: defaults.order_goals.goals[0].replenishment.period_per_unit: is required`},
		{"replenishment reminder too late", head + `      - name: beans
        kind: sku
        sku: BEANS
        replenishment: {period_per_unit: 10d, remind_before: 10d, channel: email, template: {brevo_template_id: 3}}
`, `flows.yaml:8: defaults.order_goals.goals[0].replenishment.remind_before: must be shorter than period_per_unit (10d), got "10d"`},
		{"replenishment on a coupon goal", head + `      - name: spring
        kind: coupon
        code: X
        replenishment: {period_per_unit: 10d, channel: email, template: {brevo_template_id: 3}}
`, `flows.yaml:8: defaults.order_goals.goals[0].replenishment: only applies to goals of kind sku (this goal is coupon)`},
		{"field of another kind", head + "      - {name: spring, kind: coupon, code: X, sku: BEANS}\n",
			`flows.yaml:5: defaults.order_goals.goals[0].sku: only applies to goals of kind sku (this goal is coupon)`},
		{"unknown kind", head + "      - {name: x, kind: first_order}\n",
			`flows.yaml:5: defaults.order_goals.goals[0].kind: unknown goal kind "first_order" (want new_customer, repeat_customer, sku, coupon or customer_group)`},
		{"missing kind", head + "      - {name: x}\n",
			`flows.yaml:5: defaults.order_goals.goals[0].kind: is required`},
		{"goal names", head + "      - {name: my goal, kind: new_customer}\n      - {name: a, kind: new_customer}\n      - {name: A, kind: repeat_customer}\n",
			`flows.yaml:5: defaults.order_goals.goals[0].name: must be letters, digits, '_' or '-' (it becomes the call name BC<name>), got "my goal"
flows.yaml:7: defaults.order_goals.goals[2].name: duplicate goal name "A" (also goals[1])`},
		{"unknown status names", "defaults:\n  order_goals:\n    placed_statuses: [Shipped, Shiped, 99, 2]\n",
			`flows.yaml:3: defaults.order_goals.placed_statuses[1]: unknown order status "Shiped"; known statuses: Incomplete, Pending, Shipped, Partially Shipped, Refunded, Cancelled, Declined, Awaiting Payment, Awaiting Pickup, Awaiting Shipment, Completed, Awaiting Fulfillment, Manual Verification Required, Disputed, Partially Refunded
flows.yaml:3: defaults.order_goals.placed_statuses[2]: unknown order status id 99 (BigCommerce ids are 0 to 14)
flows.yaml:3: defaults.order_goals.placed_statuses[3]: duplicate status Shipped (also placed_statuses[0])`},
		{"store code", "defaults:\n  order_goals:\n    store_code: B-C\n",
			`flows.yaml:3: defaults.order_goals.store_code: must be letters and digits (it prefixes goal call names), got "B-C"`},
		{"sequence steps may start at 0s but not go back", head + `      - name: welcome
        kind: new_customer
        sequence:
          - {name: now, delay: 0s, channel: email, template: {brevo_template_id: 1}}
          - {name: never, delay: -1s, event: x}
`, `flows.yaml:9: defaults.order_goals.goals[0].sequence[1].delay: must not be negative, got "-1s"`},
		{"group known to defaults but not to a store", `defaults:
  customer_groups: [Retail, VIP]
  order_goals:
    goals:
      - {name: vip, kind: customer_group, group: VIP}
stores:
  - store_hash: abc
    customer_groups: [Retail]
`, `flows.yaml:5: defaults.order_goals.goals[0].group: unknown customer group "VIP" (customer_groups lists Retail) or use the numeric group id (applies to store abc)`},
	})
}

func TestParseFlowsStoreErrors(t *testing.T) {
	runFlowsCases(t, []flowsCase{
		{"duplicate store hashes", "stores:\n  - store_hash: abc\n  - store_hash: ABC\n  - store_hash: abc\n",
			`flows.yaml:3: stores[1].store_hash: must be the lowercase letters and digits after stores/ in the API path, got "ABC"
flows.yaml:4: stores[2].store_hash: duplicate store_hash "abc" (also stores[0])`},
		{"missing store hash", "stores:\n  - name: Main\n",
			`flows.yaml:2: stores[0].store_hash: is required`},
		{"duplicate channel ids", `stores:
  - store_hash: abc
    channels:
      - channel_id: 1
      - channel_id: 0
      - channel_id: 1
`, `flows.yaml:5: stores[0].channels[1].channel_id: must be a BigCommerce channel id (1 or more), got 0
flows.yaml:6: stores[0].channels[2].channel_id: duplicate channel_id 1 (also stores[0].channels[0])`},
		{"override sections are validated", `stores:
  - store_hash: abc
    channels:
      - channel_id: 2
        cart_recovery:
          steps:
            - {name: a, delay: 1h, channel: fax, template: {brevo_template_id: 1}}
`, `flows.yaml:7: stores[0].channels[0].cart_recovery.steps[0].channel: unknown channel "fax" (want email, sms or whatsapp)`},
		{"unknown key in a store", "stores:\n  - store_hash: abc\n    loyality: {}\n",
			`flows.yaml:3: stores[0].loyality: unknown field "loyality" (did you mean "loyalty"?)`},
	})
}

func TestValidateWithoutFile(t *testing.T) {
	f := DefaultFlows()
	f.Defaults.CartRecovery.Steps[1].Delay = -Duration(time.Hour)
	err := f.Validate()
	want := `flows: defaults.cart_recovery.steps[1].delay: must be a positive duration, got "-1h"`
	if err == nil || err.Error() != want {
		t.Errorf("Validate() = %v, want %s", err, want)
	}
}

func TestLoadFlows(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flows.yaml")
	if err := os.WriteFile(path, []byte("defaults:\n  survey: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFlows(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":2: defaults.survey.link: is required") {
		t.Errorf("LoadFlows error should name the file and line: %v", err)
	}
	if _, err := LoadFlows(filepath.Join(dir, "nope.yaml")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

const mergeFile = `defaults:
  customer_groups: [Retail, VIP]
  cart_recovery:
    abandoned_after: 2h
    steps:
      - {name: only, delay: 1h, channel: email, template: {brevo_template_id: 1}}
  loyalty:
    points_per_unit: 3
    rounding: ceil
  quiet_hours: {start: "21:00", end: "08:00", timezone: UTC}
stores:
  - store_hash: abc
    loyalty:
      points_per_unit: 2
      tiers:
        - {name: All, min_points: 0}
    channels:
      - channel_id: 2
        cart_recovery:
          enabled: false
      - channel_id: 3
        review_request: {delay: 1d}
        frequency_caps: []
  - store_hash: def
    quiet_hours: {start: "22:00", end: "06:00", timezone: Europe/Paris}
`

func TestForMergeRules(t *testing.T) {
	f, err := ParseFlows("merge.yaml", []byte(mergeFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Stores(); !reflect.DeepEqual(got, []string{"abc", "def"}) {
		t.Errorf("Stores() = %v", got)
	}
	tests := []struct {
		name    string
		store   string
		channel int
		check   func(t *testing.T, fs FlowSet)
	}{
		{"unknown store gets defaults", "zzz", 1, func(t *testing.T, fs FlowSet) {
			if fs.Loyalty.PointsPerUnit != 3 || fs.Loyalty.Rounding != RoundCeil || fs.CartRecovery.AbandonedAfter.Std() != 2*time.Hour {
				t.Errorf("defaults not applied: %+v %+v", fs.Loyalty, fs.CartRecovery)
			}
		}},
		{"section written in defaults is enabled", "zzz", 1, func(t *testing.T, fs FlowSet) {
			if !fs.CartRecovery.Enabled || !fs.Loyalty.Enabled {
				t.Error("writing a section should enable it")
			}
		}},
		{"omitted keys take built-in defaults", "zzz", 1, func(t *testing.T, fs FlowSet) {
			if fs.Loyalty.Base != BaseSubtotalExTax || len(fs.Loyalty.Tiers) != 4 || fs.Loyalty.Bonuses.Referral != 500 {
				t.Errorf("built-in loyalty defaults missing: %+v", fs.Loyalty)
			}
		}},
		{"sections absent everywhere come back disabled", "zzz", 1, func(t *testing.T, fs FlowSet) {
			if fs.ReviewRequest == nil || fs.ReviewRequest.Enabled || fs.OrderGoals == nil || fs.OrderGoals.Enabled || fs.Survey == nil || fs.Survey.Enabled {
				t.Errorf("absent sections: %+v %+v %+v", fs.ReviewRequest, fs.OrderGoals, fs.Survey)
			}
			if fs.StatusCampaigns != nil || fs.FrequencyCaps != nil {
				t.Error("absent lists should be empty")
			}
		}},
		{"store section replaces the whole default section", "abc", 1, func(t *testing.T, fs FlowSet) {
			// points_per_unit from the store; rounding NOT inherited from
			// defaults (ceil) but the built-in floor: sections are replaced.
			if fs.Loyalty.PointsPerUnit != 2 || fs.Loyalty.Rounding != RoundFloor {
				t.Errorf("loyalty = %+v", fs.Loyalty)
			}
			if len(fs.Loyalty.Tiers) != 1 || fs.Loyalty.Tiers[0].Name != "All" || fs.Loyalty.Tiers[0].Multiplier != 1 {
				t.Errorf("a written list replaces the built-in one: %+v", fs.Loyalty.Tiers)
			}
			if !fs.CartRecovery.Enabled || fs.CartRecovery.AbandonedAfter.Std() != 2*time.Hour {
				t.Error("sections the store does not override come from defaults")
			}
		}},
		{"unknown channel of a known store gets the store level", "abc", 99, func(t *testing.T, fs FlowSet) {
			if fs.Loyalty.PointsPerUnit != 2 || !fs.CartRecovery.Enabled {
				t.Errorf("store level not applied: %+v", fs.Loyalty)
			}
		}},
		{"channel overrides the store and defaults", "abc", 2, func(t *testing.T, fs FlowSet) {
			if fs.CartRecovery.Enabled {
				t.Error("enabled: false in the channel must win")
			}
			if fs.Loyalty.PointsPerUnit != 2 {
				t.Error("channel inherits the store's loyalty")
			}
		}},
		{"channel can add a section and clear a list", "abc", 3, func(t *testing.T, fs FlowSet) {
			if !fs.ReviewRequest.Enabled || fs.ReviewRequest.Delay.Std() != Day || fs.ReviewRequest.TriggerStatus != StatusCompleted {
				t.Errorf("review request = %+v", fs.ReviewRequest)
			}
			if fs.FrequencyCaps == nil || len(fs.FrequencyCaps) != 0 {
				t.Errorf("frequency caps = %#v", fs.FrequencyCaps)
			}
		}},
		{"quiet hours inherited", "abc", 2, func(t *testing.T, fs FlowSet) {
			if fs.QuietHours == nil || fs.QuietHours.Timezone != "UTC" {
				t.Errorf("quiet hours = %+v", fs.QuietHours)
			}
		}},
		{"store hash is case-insensitive", "DEF", 1, func(t *testing.T, fs FlowSet) {
			if fs.QuietHours == nil || fs.QuietHours.Timezone != "Europe/Paris" {
				t.Errorf("quiet hours = %+v", fs.QuietHours)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, f.For(tt.store, tt.channel)) })
	}

	t.Run("For returns a copy", func(t *testing.T) {
		fs := f.For("abc", 1)
		fs.Loyalty.PointsPerUnit = 100
		fs.Loyalty.Tiers[0].Name = "changed"
		fs.CartRecovery.Steps[0].Template.BrevoTemplateID = 99
		fs.QuietHours.Timezone = "changed"
		again := f.For("abc", 1)
		if again.Loyalty.PointsPerUnit != 2 || again.Loyalty.Tiers[0].Name != "All" ||
			again.CartRecovery.Steps[0].Template.BrevoTemplateID != 1 || again.QuietHours.Timezone != "UTC" {
			t.Error("mutating a FlowSet from For changed the Flows")
		}
	})
	t.Run("no quiet hours anywhere", func(t *testing.T) {
		if fs := DefaultFlows().For("abc", 1); fs.QuietHours != nil {
			t.Error("QuietHours should stay nil")
		}
	})
}

func TestExampleFile(t *testing.T) {
	f, err := LoadFlows(filepath.Join("examples", "multistore.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	main := f.For("abc123", 1)
	if main.OrderGoals.StoreCode != "ACME" || len(main.OrderGoals.Goals) != 6 || !main.Survey.Enabled {
		t.Errorf("main storefront = %+v", main.OrderGoals)
	}
	if main.CartRecovery.Steps[2].Delay.Std() != 60*time.Hour {
		t.Errorf("2d12h = %v", main.CartRecovery.Steps[2].Delay)
	}
	wholesale := f.For("abc123", 2)
	if wholesale.CartRecovery.Enabled || wholesale.Loyalty.PointsPerUnit != 0.5 || wholesale.Loyalty.Rounding != RoundFloor {
		t.Errorf("wholesale storefront = %+v %+v", wholesale.CartRecovery, wholesale.Loyalty)
	}
	settings, defs := f.SegmentsFor("abc123")
	if !settings.PushToBigCommerce || settings.PushToBrevo || len(defs) != 3 || defs[1].Name != "high_value" ||
		len(defs[1].Rule.Any) != 2 || *defs[1].Rule.Any[0].All[1].TotalSpent.AtLeast != 10000 || !defs[2].Rule.TimeBased() {
		t.Errorf("abc123 segments = %+v %+v", settings, defs)
	}
	if c := main.SegmentFlows[0].Sequence[0].Coupon; c.ExpiresAfter.String() != "5d" || c.Segment != "high_value" {
		t.Errorf("segment flow coupon = %+v", c)
	}
	eu := f.For("def456", 1)
	if eu.ReviewRequest.Delay.Std() != 21*Day || eu.ReviewRequest.Template != (Template{BrevoTemplateID: 51}) || eu.QuietHours.Timezone != "Europe/Paris" {
		t.Errorf("EU store = %+v %+v", eu.ReviewRequest, eu.QuietHours)
	}
}

func TestHelpers(t *testing.T) {
	r := Replenishment{PeriodPerUnit: MustParseDuration("30d"), QuantityAware: true, RemindBefore: MustParseDuration("5d")}
	for qty, want := range map[int]time.Duration{0: 25 * Day, 1: 25 * Day, 3: 85 * Day} {
		if got := r.DueAfter(qty); got != want {
			t.Errorf("DueAfter(%d) = %v, want %v", qty, got, want)
		}
	}
	r.QuantityAware = false
	if got := r.DueAfter(3); got != 25*Day {
		t.Errorf("quantity-unaware DueAfter(3) = %v", got)
	}

	for _, tt := range []struct {
		r    Rounding
		in   float64
		want int64
	}{{RoundFloor, 9.99, 9}, {RoundHalf, 9.5, 10}, {RoundHalf, 9.49, 9}, {RoundCeil, 9.01, 10}, {"", 9.99, 9}} {
		if got := tt.r.Apply(tt.in); got != tt.want {
			t.Errorf("%q.Apply(%v) = %d, want %d", tt.r, tt.in, got, tt.want)
		}
	}

	l := DefaultFlows().Defaults.Loyalty
	if tier, _ := l.TierFor(4999); tier.Name != "Silver" {
		t.Errorf("TierFor(4999) = %s", tier.Name)
	}
	if tier, _ := l.TierFor(15000); tier.Name != "Platinum" {
		t.Errorf("TierFor(15000) = %s", tier.Name)
	}
	if tier, ok := (&Loyalty{Tiers: []Tier{{Name: "Silver", MinPoints: 1000}}}).TierFor(999); ok {
		t.Errorf("TierFor below the first tier = %s, want none", tier.Name)
	}

	coupon := Goal{Kind: GoalCoupon, Code: "Spring10"}
	if !coupon.MatchesCoupon(" SPRING10") || coupon.MatchesCoupon("SPRING1") {
		t.Error("MatchesCoupon should be case-insensitive and exact")
	}
	og := DefaultFlows().Defaults.OrderGoals
	if og.CallName(Goal{Name: "welcome"}) != "BCwelcome" || !og.IsPlaced(StatusAwaitingFulfillment) || og.IsPlaced(StatusPending) {
		t.Error("OrderGoals helpers")
	}
	s := Survey{Link: "https://s.example.com/?o={order_id}&again={order_id}"}
	if got := s.LinkFor(1042); got != "https://s.example.com/?o=1042&again=1042" {
		t.Errorf("LinkFor = %s", got)
	}
}

func TestQuietHours(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	night := &QuietHours{Start: TimeOfDay{21, 0}, End: TimeOfDay{8, 0}, Timezone: "America/New_York", Channels: []Channel{ChannelSMS}}
	lunch := &QuietHours{Start: TimeOfDay{12, 0}, End: TimeOfDay{13, 0}, Timezone: "UTC"}
	at := func(loc *time.Location, h, m int) time.Time { return time.Date(2025, 3, 12, h, m, 0, 0, loc) }
	tests := []struct {
		name string
		q    *QuietHours
		t    time.Time
		want time.Duration
	}{
		{"before midnight", night, at(ny, 23, 30), 8*time.Hour + 30*time.Minute},
		{"after midnight", night, at(ny, 7, 59), time.Minute},
		{"at start", night, at(ny, 21, 0), 11 * time.Hour},
		{"at end", night, at(ny, 8, 0), 0},
		{"daytime", night, at(ny, 12, 0), 0},
		{"other zone", night, at(time.UTC, 3, 0), 9 * time.Hour}, // 23:00 the day before in New York (EDT)
		{"same-day window", lunch, at(time.UTC, 12, 15), 45 * time.Minute},
		{"outside same-day window", lunch, at(time.UTC, 13, 0), 0},
		{"nil", nil, at(time.UTC, 12, 15), 0},
	}
	for _, tt := range tests {
		if got := tt.q.Until(tt.t); got != tt.want {
			t.Errorf("%s: Until = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !night.AppliesTo(ChannelSMS) || night.AppliesTo(ChannelEmail) || !lunch.AppliesTo(ChannelEmail) {
		t.Error("AppliesTo")
	}
}

// TestGroupMatches is the one table for customer-group references: goals,
// group multipliers and B2B groups all match through GroupMatches.
func TestGroupMatches(t *testing.T) {
	for _, tt := range []struct {
		ref  string
		id   int
		name string
		want bool
	}{
		{"VIP", 2, "VIP", true},
		{"VIP", 2, "vip", true},           // names are case-insensitive
		{" VIP ", 2, "VIP", true},         // spaces around the reference are ignored
		{"VIP", 2, " VIP ", true},         // and around the customer's group name
		{"VIP", 2, "Retail", false},       // another name
		{"2", 2, "x", true},               // a number is a group id
		{" 2 ", 2, "x", true},             // spaces around an id are ignored
		{"2", 3, "2", false},              // a number never matches a name
		{"0", 0, "", false},               // no group matches no reference, not even 0
		{"", 0, "", false},                // an empty reference matches nothing
		{"", 2, "", false},                // nor a group without a name
		{"VIP Gold", 5, "vip gold", true}, // inner spaces are part of the name
		{"VIPGold", 5, "VIP Gold", false}, // and count
		{"-4", 4, "x", false},             // an id is the id itself
	} {
		if got := GroupMatches(tt.ref, tt.id, tt.name); got != tt.want {
			t.Errorf("GroupMatches(%q, %d, %q) = %v, want %v", tt.ref, tt.id, tt.name, got, tt.want)
		}
		goal := Goal{Kind: GoalCustomerGroup, Group: tt.ref}
		if got := goal.MatchesGroup(tt.id, tt.name); got != tt.want {
			t.Errorf("goal group %q MatchesGroup(%d, %q) = %v, want %v", tt.ref, tt.id, tt.name, got, tt.want)
		}
		if got := (B2B{Groups: []string{"Other", tt.ref}}).Includes(tt.id, tt.name); got != tt.want {
			t.Errorf("B2B groups [Other %q] Includes(%d, %q) = %v, want %v", tt.ref, tt.id, tt.name, got, tt.want)
		}
		wantMultiplier := 1.0
		if tt.want {
			wantMultiplier = 3
		}
		l := Loyalty{GroupMultipliers: map[string]float64{tt.ref: 3}}
		if got := l.GroupMultiplier(tt.id, tt.name); got != wantMultiplier {
			t.Errorf("group multipliers {%q: 3} GroupMultiplier(%d, %q) = %v, want %v", tt.ref, tt.id, tt.name, got, wantMultiplier)
		}
	}
	if (Goal{Kind: GoalSKU, Group: "VIP"}).MatchesGroup(2, "VIP") {
		t.Error("only customer_group goals match a group")
	}
}

// A group listed by name and by id: the first reference in sorted order
// wins, whatever the map's order.
func TestGroupMultiplierIsDeterministic(t *testing.T) {
	l := Loyalty{GroupMultipliers: map[string]float64{"vip": 1.5, "3": 3, "VIP": 2}}
	for range 50 {
		if got := l.GroupMultiplier(3, "VIP"); got != 3 {
			t.Fatalf("GroupMultiplier(3, VIP) = %v, want 3 (\"3\" sorts first)", got)
		}
		if got := l.GroupMultiplier(4, "vip"); got != 2 {
			t.Fatalf("GroupMultiplier(4, vip) = %v, want 2 (\"VIP\" sorts before \"vip\")", got)
		}
	}
}
