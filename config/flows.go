package config

// This file is the flows file's schema: the Go types its YAML decodes into.
// Built-in values live in flows.default.yaml (flows_defaults.go), merging in
// flows_overlay.go, matching rules in flows_match.go and time and number
// arithmetic in flows_arith.go.

// Flows is the parsed flows file: what every store and storefront channel
// runs. Read it with LoadFlows or ParseFlows, or start from DefaultFlows; ask
// it what applies to an event with For.
//
// Merge rules, also documented in flows.default.yaml:
//
//   - defaults applies to every store and channel; a section missing from
//     defaults is off (For returns it disabled).
//   - stores[].<section> replaces the whole section of defaults for that
//     store; stores[].channels[].<section> replaces it again for one channel.
//     Sections are never merged key by key with the level above.
//   - Inside a section you write, a key you omit takes its built-in default
//     (the value in flows.default.yaml); a list, map, template or coupon you
//     write replaces the built-in one whole; enabled is true unless you
//     write enabled: false.
type Flows struct {
	// Version of the schema; 1 (the default) is the only one.
	Version int `yaml:"version"`
	// Defaults applies to every store and channel unless overridden.
	Defaults FlowSet `yaml:"defaults"`
	// StoreOverrides holds per-store (and per-channel) section overrides.
	StoreOverrides []StoreFlows `yaml:"stores,omitempty"`
	// ElementDefaults are the values of keys that coupons, loyalty tiers,
	// replenishment reminders and segment flows leave out, throughout the
	// file; keys it leaves out take flows.default.yaml's.
	ElementDefaults *ElementDefaults `yaml:"element_defaults,omitempty"`
}

// FlowSet is one level of configuration: every section is optional in a
// file. In a FlowSet returned by For, every pointer section is non-nil
// (absent sections come back disabled) except QuietHours, which is nil when
// there are none.
type FlowSet struct {
	// CustomerGroups names the BigCommerce customer groups that goals and
	// loyalty may refer to by name (numeric group ids are always accepted).
	CustomerGroups []string `yaml:"customer_groups,omitempty"`
	// AttributionWindow is how long after a message of any flow but cart
	// recovery an order by the same shopper counts as converted by it (last
	// touch); absent, cart recovery's attribution_window applies. See
	// FlowSet.Attribution.
	AttributionWindow *Duration `yaml:"attribution_window,omitempty"`
	// CartRecovery is the abandoned-cart playbook.
	CartRecovery *CartRecovery `yaml:"cart_recovery,omitempty"`
	// OrderGoals are Keap-style goals achieved by placed orders.
	OrderGoals *OrderGoals `yaml:"order_goals,omitempty"`
	// Loyalty is the points program.
	Loyalty *Loyalty `yaml:"loyalty,omitempty"`
	// ReviewRequest asks for a product review after an order.
	ReviewRequest *ReviewRequest `yaml:"review_request,omitempty"`
	// StatusCampaigns react to order status changes.
	StatusCampaigns []StatusCampaign `yaml:"status_campaigns,omitempty"`
	// Survey is the survey sent after the order reaches a status
	// (Shipped by default: the post-shipment survey).
	Survey *Survey `yaml:"survey,omitempty"`
	// QuietHours delays messages that would be sent at night.
	QuietHours *QuietHours `yaml:"quiet_hours,omitempty"`
	// FrequencyCaps limit how many messages a customer receives.
	FrequencyCaps []FrequencyCap `yaml:"frequency_caps,omitempty"`
	// Consent says where SMS and WhatsApp opt-ins are read (consent.go).
	Consent *Consent `yaml:"consent,omitempty"`
	// Sync says which provider lists synced contacts join (sync.go).
	Sync *Sync `yaml:"sync,omitempty"`
	// Segments are the customer segments kept (segments.go).
	Segments *Segments `yaml:"segments,omitempty"`
	// SegmentFlows start sequences when shoppers enter or leave segments.
	SegmentFlows []SegmentFlow `yaml:"segment_flows,omitempty"`
}

// StoreFlows overrides sections for one store, and optionally for some of its
// storefront channels (multi-storefront).
type StoreFlows struct {
	// StoreHash identifies the store (the abc123 in stores/abc123).
	StoreHash string `yaml:"store_hash" flows:"required"`
	// Name is a free-form label for people reading the file.
	Name string `yaml:"name,omitempty"`
	// FlowSet holds the store-wide overrides.
	FlowSet `yaml:",inline"`
	// Channels holds per-channel overrides, applied over the store's.
	Channels []ChannelFlows `yaml:"channels,omitempty"`
}

// ChannelFlows overrides sections for one BigCommerce channel (storefront).
type ChannelFlows struct {
	// ChannelID is the BigCommerce channel id (1 is the default storefront).
	ChannelID int `yaml:"channel_id" flows:"required"`
	// Name is a free-form label for people reading the file.
	Name string `yaml:"name,omitempty"`
	// StorefrontURL overrides the channel's storefront base URL, which
	// otherwise comes from BigCommerce's channel site; every link in a
	// message of the channel is made absolute against it.
	StorefrontURL string `yaml:"storefront_url,omitempty"`
	// FlowSet holds the channel's overrides.
	FlowSet `yaml:",inline"`
}

// Channel is a way of reaching a customer.
type Channel string

// Known channels.
const (
	ChannelEmail    Channel = "email"
	ChannelSMS      Channel = "sms"
	ChannelWhatsApp Channel = "whatsapp"
	// ChannelAny is only valid in frequency caps: the cap counts messages
	// on every channel together.
	ChannelAny Channel = "any"
)

// Requirement is a precondition a customer must meet to receive a message.
type Requirement string

// Known requirements.
const (
	// RequireEmailConsent: the customer accepts marketing email
	// (BigCommerce accepts_product_review_abandoned_cart_emails).
	RequireEmailConsent Requirement = "email_consent"
	// RequireSMSConsent: the customer opted in to marketing SMS.
	RequireSMSConsent Requirement = "sms_consent"
	// RequireWhatsAppConsent: the customer opted in to WhatsApp messages.
	RequireWhatsAppConsent Requirement = "whatsapp_consent"
)

// Template is what a message says: either a Brevo template id, or an inline
// subject (email only) and body. Inline subjects and bodies are Go
// text/template texts; their syntax is checked when the file is loaded.
type Template struct {
	// BrevoTemplateID is the id of a template designed in Brevo (email
	// and WhatsApp).
	BrevoTemplateID int64 `yaml:"brevo_template_id,omitempty"`
	// Subject is the email subject of an inline template.
	Subject string `yaml:"subject,omitempty"`
	// Body is the inline message body (HTML for email, text for SMS and
	// WhatsApp).
	Body string `yaml:"body,omitempty"`
}

// IsZero reports whether no template is given.
func (t Template) IsZero() bool { return t == Template{} }

// Coupon asks for a single-use BigCommerce coupon to be created for the
// message.
type Coupon struct {
	// Percent off the order, 1 to 100.
	Percent int `yaml:"percent" flows:"required"`
	// ExpiresAfter is how long the coupon stays valid (default:
	// element_defaults, built in 7d).
	ExpiresAfter Duration `yaml:"expires_after"`
	// Segment, if set, restricts the coupon to members of that segment
	// (its promotion targets the segment's BigCommerce customer segment).
	Segment string `yaml:"segment,omitempty"`
}

// Message is what to send and how: shared by steps, reminders, review
// requests and surveys. A message may also (or only) emit a provider event,
// letting a Brevo automation take over.
type Message struct {
	// Channel to send on; required with a template.
	Channel Channel `yaml:"channel,omitempty"`
	// Template of the message.
	Template Template `yaml:"template,omitempty" flows:"replace"`
	// Coupon, if set, is created and passed to the template.
	Coupon *Coupon `yaml:"coupon,omitempty"`
	// Requires lists conditions the customer must meet, else the message
	// is skipped.
	Requires []Requirement `yaml:"requires,omitempty"`
	// Event, if set, is tracked in Brevo under this name.
	Event string `yaml:"event,omitempty"`
}

// Step is one timed message of a sequence.
type Step struct {
	// Name identifies the step; unique within its list.
	Name string `yaml:"name" flows:"required"`
	// Delay after the sequence's start (cart abandonment, goal
	// achievement...). Steps are listed by increasing delay.
	Delay Duration `yaml:"delay" flows:"required"`
	// Message is what the step sends.
	Message `yaml:",inline"`
}

// CartRecovery is the abandoned-cart playbook.
type CartRecovery struct {
	// Enabled turns the section on.
	Enabled bool `yaml:"enabled"`
	// AbandonedAfter is the inactivity after which a cart counts as
	// abandoned (default 1h).
	AbandonedAfter Duration `yaml:"abandoned_after"`
	// Steps are sent in order, each Delay after abandonment, until the cart
	// is converted. Delays must be positive and increasing.
	Steps []Step `yaml:"steps"`
	// AttributionWindow is how long after the last message sent an order
	// from the cart, or by the same shopper, still counts as recovered by
	// that message (default DefaultAttributionWindow).
	AttributionWindow Duration `yaml:"attribution_window"`
	// HoldoutPercent holds back this percentage of abandoned carts (0 to
	// MaxHoldoutPercent, default 0): a held-out cart gets no message, and
	// its conversion is measured against the messaged carts'. A cart's
	// group is decided by its id (workflows.HoldoutBucket), so it never
	// changes.
	HoldoutPercent int `yaml:"holdout_percent"`
}

// MaxHoldoutPercent is the largest cart_recovery.holdout_percent: a
// holdout above it would leave too few messaged carts to learn from and
// take reminders away from most shoppers.
const MaxHoldoutPercent = 90

// GoalKind is what achieves an order goal.
type GoalKind string

// Goal kinds.
const (
	GoalNewCustomer    GoalKind = "new_customer"    // first placed order of the customer
	GoalRepeatCustomer GoalKind = "repeat_customer" // any later placed order
	GoalSKU            GoalKind = "sku"             // order contains SKU
	GoalCoupon         GoalKind = "coupon"          // order used coupon Code (case-insensitive)
	GoalCustomerGroup  GoalKind = "customer_group"  // customer belongs to Group
)

// OrderGoals are Keap-style campaign goals achieved when an order is placed.
type OrderGoals struct {
	// Enabled turns the section on.
	Enabled bool `yaml:"enabled"`
	// StoreCode prefixes goal call names (default "BC"): goal "welcome"
	// is reported as call name "BCwelcome".
	StoreCode string `yaml:"store_code"`
	// PlacedStatuses are the statuses that count as a placed order.
	PlacedStatuses []OrderStatus `yaml:"placed_statuses"`
	// Goals are checked against every placed order.
	Goals []Goal `yaml:"goals,omitempty"`
}

// Goal is one order goal and what follows when it is achieved.
type Goal struct {
	// Name identifies the goal (letters, digits, '_' and '-'); the call name
	// is the store code followed by it.
	Name string `yaml:"name" flows:"required"`
	// Kind says what achieves the goal.
	Kind GoalKind `yaml:"kind" flows:"required"`
	// SKU for kind sku.
	SKU string `yaml:"sku,omitempty"`
	// Code is the coupon code for kind coupon, matched case-insensitively.
	Code string `yaml:"code,omitempty"`
	// Group is the customer group name or numeric id for kind customer_group.
	Group string `yaml:"group,omitempty"`
	// Tags are added to the contact when the goal is achieved.
	Tags []string `yaml:"tags,omitempty"`
	// Sequence is sent after the goal is achieved; delays count from the
	// order and may start at 0s.
	Sequence []Step `yaml:"sequence,omitempty"`
	// Replenishment, for sku goals, reminds the customer to reorder.
	Replenishment *Replenishment `yaml:"replenishment,omitempty"`
}

// ReplenishmentStep is the step name of a goal's replenishment reminder in
// its sequence (its sends and decisions are logged under it), so the goal's
// own steps cannot use it.
const ReplenishmentStep = "replenishment"

// Replenishment reminds the customer to reorder a consumable before it runs
// out.
type Replenishment struct {
	// PeriodPerUnit is how long one unit lasts.
	PeriodPerUnit Duration `yaml:"period_per_unit" flows:"required"`
	// QuantityAware multiplies the period by the quantity ordered
	// (default: element_defaults, built in true).
	QuantityAware bool `yaml:"quantity_aware"`
	// RemindBefore is how long before running out to remind (default 0s);
	// must be shorter than PeriodPerUnit.
	RemindBefore Duration `yaml:"remind_before"`
	// Message is the reminder.
	Message `yaml:",inline"`
}

// Rounding says how fractional points are rounded.
type Rounding string

// Rounding modes.
const (
	RoundFloor Rounding = "floor"
	RoundHalf  Rounding = "round" // half away from zero
	RoundCeil  Rounding = "ceil"
)

// AmountBase says which order amount earns points.
type AmountBase string

// Amount bases.
const (
	BaseSubtotalExTax AmountBase = "subtotal_ex_tax"
	BaseTotalIncTax   AmountBase = "total_inc_tax"
)

// Loyalty is the points program.
type Loyalty struct {
	// Enabled turns the section on.
	Enabled bool `yaml:"enabled"`
	// PointsPerUnit is points earned per currency unit of Base (default 1).
	PointsPerUnit float64 `yaml:"points_per_unit"`
	// Rounding of earned points (default floor).
	Rounding Rounding `yaml:"rounding"`
	// Base is the amount points are computed on (default subtotal_ex_tax).
	Base AmountBase `yaml:"base"`
	// AwardStatus is the order status at which points are awarded
	// (default Completed).
	AwardStatus OrderStatus `yaml:"award_status"`
	// GroupMultipliers multiply points by customer group (name or id);
	// groups not listed earn 1x.
	GroupMultipliers map[string]float64 `yaml:"group_multipliers"`
	// Tiers by lifetime points, lowest first; the first starts at 0.
	Tiers []Tier `yaml:"tiers"`
	// Bonuses are one-off point awards.
	Bonuses Bonuses `yaml:"bonuses"`
	// B2B adjusts earning for business customers.
	B2B B2B `yaml:"b2b"`
	// Redemption turns points into coupons.
	Redemption Redemption `yaml:"redemption"`
}

// Tier is a loyalty level reached at MinPoints lifetime points.
type Tier struct {
	// Name of the tier.
	Name string `yaml:"name" flows:"required"`
	// MinPoints is the lifetime points needed.
	MinPoints int64 `yaml:"min_points" flows:"required"`
	// Multiplier applies to points earned while in the tier (default:
	// element_defaults, built in 1).
	Multiplier float64 `yaml:"multiplier"`
}

// Bonuses are one-off point awards; 0 disables one.
type Bonuses struct {
	AccountCreation  int64 `yaml:"account_creation"`  // customer creates an account
	FirstPurchase    int64 `yaml:"first_purchase"`    // first order reaches the award status
	ReviewSubmitted  int64 `yaml:"review_submitted"`  // customer submits a product review
	Referral         int64 `yaml:"referral"`          // a referred customer places an order
	Birthday         int64 `yaml:"birthday"`          // each year on the customer's birthday
	NewsletterSignup int64 `yaml:"newsletter_signup"` // customer subscribes to the newsletter
}

// B2B adjusts earning for business customers.
type B2B struct {
	// Enabled turns the rules on.
	Enabled bool `yaml:"enabled"`
	// Groups are the customer groups (names or ids) treated as B2B.
	Groups []string `yaml:"groups"`
	// ReorderPointsPerUnit replaces PointsPerUnit on repeat orders.
	ReorderPointsPerUnit float64 `yaml:"reorder_points_per_unit"`
	// VolumeThreshold is the order amount (in Base) above which
	// VolumeMultiplier applies.
	VolumeThreshold float64 `yaml:"volume_threshold"`
	// VolumeMultiplier multiplies points of orders above VolumeThreshold.
	VolumeMultiplier float64 `yaml:"volume_multiplier"`
}

// Redemption turns points into coupons.
type Redemption struct {
	// Enabled turns redemption on.
	Enabled bool `yaml:"enabled"`
	// PointsPerCoupon is the points spent for one coupon.
	PointsPerCoupon int64 `yaml:"points_per_coupon"`
	// CouponValue is the coupon's fixed amount off, in store currency.
	CouponValue float64 `yaml:"coupon_value"`
	// CouponExpiresAfter is how long the coupon stays valid.
	CouponExpiresAfter Duration `yaml:"coupon_expires_after"`
}

// ReviewRequest asks for a product review after an order.
type ReviewRequest struct {
	// Enabled turns the section on.
	Enabled bool `yaml:"enabled"`
	// TriggerStatus starts the wait (default Completed).
	TriggerStatus OrderStatus `yaml:"trigger_status"`
	// Delay after the status change (default 14d).
	Delay Duration `yaml:"delay"`
	// Message is the request.
	Message `yaml:",inline"`
}

// StatusCampaign reacts to an order entering Status.
type StatusCampaign struct {
	// Status that triggers the campaign.
	Status OrderStatus `yaml:"status" flows:"required"`
	// Event, if set, is tracked in Brevo (e.g. order_shipped) so a Brevo
	// automation can react.
	Event string `yaml:"event,omitempty"`
	// Sequence is sent after the status change.
	Sequence []Step `yaml:"sequence,omitempty"`
}

// Survey invites the shopper to a survey once the order reaches
// TriggerStatus (Shipped by default: the post-shipment survey), once per
// order.
type Survey struct {
	// Enabled turns the section on.
	Enabled bool `yaml:"enabled"`
	// TriggerStatus starts the wait: the order entering it starts the
	// survey (default Shipped). A shipment alone does not (a partial
	// shipment moves the order to Partially Shipped).
	TriggerStatus OrderStatus `yaml:"trigger_status"`
	// Delay after the status change (default 7d).
	Delay Duration `yaml:"delay"`
	// Link is the survey URL; it must contain {order_id}.
	Link string `yaml:"link"`
	// Message carries the link ({{.SurveyLink}} in the template).
	Message `yaml:",inline"`
}

// OrderIDPlaceholder is replaced by the order id in Survey.Link.
const OrderIDPlaceholder = "{order_id}"

// QuietHours holds messages back between Start and End (which may wrap past
// midnight) in Timezone; they are sent when quiet hours end.
type QuietHours struct {
	// Start of quiet hours, "HH:MM".
	Start TimeOfDay `yaml:"start" flows:"required"`
	// End of quiet hours, "HH:MM".
	End TimeOfDay `yaml:"end" flows:"required"`
	// Timezone is an IANA zone name such as America/New_York.
	Timezone string `yaml:"timezone" flows:"required"`
	// Channels the quiet hours apply to; empty means all.
	Channels []Channel `yaml:"channels,omitempty"`
}

// FrequencyCap limits a customer to Max messages on Channel per Per.
type FrequencyCap struct {
	// Channel capped, or "any" for all channels together.
	Channel Channel `yaml:"channel" flows:"required"`
	// Max messages in any window of length Per.
	Max int `yaml:"max" flows:"required"`
	// Per is the window length.
	Per Duration `yaml:"per" flows:"required"`
}
