package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strconv"
	texttemplate "text/template"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/store"
)

// Send outcomes (SendOutcome.Status).
const (
	// SendSent: the provider accepted the message.
	SendSent = "sent"
	// SendAlreadySent: an earlier attempt sent it; nothing new went out.
	SendAlreadySent = "already_sent"
	// SendSuppressed: the address opted out; nothing was sent.
	SendSuppressed = "suppressed"
	// SendRefused: the message cannot go out as it stands (the provider
	// refused the recipient, e.g. an invalid number or address, or the
	// flows file's template does not render); SendOutcome.Reason says why.
	// Nothing was sent, and trying again cannot help.
	SendRefused = "refused"
	// SendUnknown: an SMS or WhatsApp request left and its answer was lost;
	// the provider does not deduplicate them, so bcflow does not try again,
	// preferring a missed reminder to a duplicate. It may or may not have
	// reached the shopper.
	SendUnknown = "unknown"
)

// ResolveFlows returns the flows that apply to a store's channel. Workflows
// read them through this activity so the values they act on are recorded in
// their history (a changed flows file never breaks a replay).
func (a *Activities) ResolveFlows(_ context.Context, in FlowsInput) (config.FlowSet, error) {
	flows := a.Flows
	if flows == nil {
		flows = config.DefaultFlows()
	}
	return flows.For(in.StoreHash, in.ChannelID), nil
}

// RecordDecision appends one line to the decision log; a retry with the same
// input writes nothing new.
func (a *Activities) RecordDecision(ctx context.Context, in DecisionInput) error {
	details, err := json.Marshal(in.Details)
	if err != nil {
		return temporal.NewNonRetryableApplicationError("decision details are not JSON: "+err.Error(), ErrTypeInvalid, err)
	}
	if in.Details == nil {
		details = nil
	}
	err = a.Store.AppendDecision(ctx, store.Decision{
		DedupeKey: in.DedupeKey, StoreHash: in.StoreHash, CustomerKey: in.CustomerKey, Email: in.Email, WorkflowID: in.WorkflowID, Flow: in.Flow,
		Step: in.Step, Decision: in.Decision, Reason: in.Reason, Details: details, At: in.At,
		ChannelID: in.ChannelID, Amount: decisionAmount(in.Amount),
	})
	if err != nil {
		return fmt.Errorf("record decision: %w", err)
	}
	return nil
}

// decisionAmount is a decision's amount as the store keeps it: "" and an
// amount that does not parse are 0 (a decision is never lost, nor its
// activity failed, for its figure).
func decisionAmount(s string) store.Money {
	if s == "" {
		return 0
	}
	m, err := store.ParseMoney(s)
	if err != nil {
		return 0
	}
	return m
}

// CheckSendWindow says whether a message may go at in.At or must wait for
// quiet hours to end or a frequency cap to free up.
func (a *Activities) CheckSendWindow(ctx context.Context, in SendWindowInput) (SendWindow, error) {
	if in.QuietHours != nil && in.QuietHours.AppliesTo(in.Channel) {
		if wait := in.QuietHours.Until(in.At); wait > 0 {
			return SendWindow{DeferUntil: in.At.Add(wait), Reason: "quiet hours"}, nil
		}
	}
	if in.CustomerKey == "" {
		return SendWindow{}, nil
	}
	var latest time.Time
	var reason string
	for _, c := range in.Caps {
		if c.Channel != config.ChannelAny && c.Channel != in.Channel {
			continue
		}
		channel := string(c.Channel)
		if c.Channel == config.ChannelAny {
			channel = ""
		}
		per := c.Per.Std()
		n, err := a.Store.CountMessagesSince(ctx, in.StoreHash, in.CustomerKey, channel, in.At.Add(-per))
		if err != nil {
			return SendWindow{}, fmt.Errorf("check frequency cap: %w", err)
		}
		if n < c.Max {
			continue
		}
		// Wait until the window no longer holds Max messages: a fixed step of
		// a tenth of the window keeps the number of deferrals small.
		until := in.At.Add(per / 10)
		if until.After(latest) {
			latest = until
			reason = fmt.Sprintf("frequency cap: %d %s per %s", c.Max, c.Channel, c.Per)
		}
	}
	return SendWindow{DeferUntil: latest, Reason: reason}, nil
}

// EnsureCoupon creates a unique single-use coupon code worth Percent off
// the cart, under a shared promotion ("bcflow: N% off", created once). The
// code comes from the workflow, so a retry finds the code it created. A
// coupon restricted to a segment goes under a promotion of its own that
// targets the segment's BigCommerce customer segment (segmentPromotion);
// when the segment cannot exist there, the coupon is Unavailable, with the
// reason.
func (a *Activities) EnsureCoupon(ctx context.Context, in CouponInput) (Coupon, error) {
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return Coupon{}, err
	}
	var promo bigcommerce.Promotion
	if in.Segment != "" {
		var unavailable string
		promo, unavailable, err = a.segmentPromotion(ctx, bc, in.StoreHash, in.Percent, in.Segment)
		if err != nil {
			return Coupon{}, err
		}
		if unavailable != "" {
			return Coupon{Percent: in.Percent, Unavailable: unavailable}, nil
		}
	} else if promo, err = a.couponPromotion(ctx, bc, in.Percent); err != nil {
		return Coupon{}, err
	}
	_, err = bc.CreatePromotionCode(ctx, promo.ID, bigcommerce.CouponCodeInput{Code: in.Code, MaxUses: 1, MaxUsesPerCustomer: 1})
	if err != nil && !bigcommerce.IsConflict(err) {
		return Coupon{}, classify("create coupon code", err)
	}
	return Coupon{Code: in.Code, Percent: in.Percent, ExpiresAt: in.ExpiresAt}, nil
}

func (a *Activities) couponPromotion(ctx context.Context, bc *bigcommerce.Client, percent int) (bigcommerce.Promotion, error) {
	return a.findOrCreatePercentPromotion(ctx, bc, fmt.Sprintf("bcflow: %d%% off", percent), percent, nil)
}

// segmentPromotion is the promotion of a segment's coupons worth percent:
// "bcflow: N% off, segment S", restricted to the segment's BigCommerce
// customer segment (ensured by the segment engine). unavailable says why
// there can be none: segments off, a store without the Customer
// Segmentation API, a segment not defined (IsSegmentUnavailable).
func (a *Activities) segmentPromotion(ctx context.Context, bc *bigcommerce.Client, storeHash string, percent int, segment string) (promo bigcommerce.Promotion, unavailable string, err error) {
	if a.Segments == nil {
		return promo, "coupon restricted to segment " + segment + ": segments are not enabled", nil
	}
	id, err := a.Segments.BigCommerceSegmentID(ctx, storeHash, segment)
	if IsSegmentUnavailable(err) {
		return promo, "coupon restricted to segment " + segment + " cannot be made: " + err.Error(), nil
	}
	if err != nil {
		return promo, "", classify("ensure the BigCommerce segment of "+segment, err)
	}
	name := fmt.Sprintf("bcflow: %d%% off, segment %s", percent, segment)
	promo, err = a.findOrCreatePercentPromotion(ctx, bc, name, percent, bigcommerce.InSegments(id))
	return promo, "", err
}

// findOrCreatePercentPromotion finds the coupon promotion called name, or
// creates it: percent off the cart, for the shoppers of segments (nil: all).
func (a *Activities) findOrCreatePercentPromotion(ctx context.Context, bc *bigcommerce.Client, name string, percent int, segments *bigcommerce.SegmentCondition) (bigcommerce.Promotion, error) {
	page, err := bc.ListPromotions(ctx, bigcommerce.PromotionFilter{Name: name, RedemptionType: "COUPON"})
	if err != nil {
		return bigcommerce.Promotion{}, classify("find coupon promotion", err)
	}
	for _, p := range page.Items {
		if p.Name == name {
			return p, nil
		}
	}
	pct, err := bigcommerce.ParseDecimal(strconv.Itoa(percent))
	if err != nil {
		return bigcommerce.Promotion{}, temporal.NewNonRetryableApplicationError("coupon percent: "+err.Error(), ErrTypeInvalid, err)
	}
	promo, err := bc.CreatePromotion(ctx, bigcommerce.PromotionInput{
		Name: name, RedemptionType: "COUPON", CouponType: "BULK", CustomerSegments: segments,
		Rules: []bigcommerce.PromotionRule{{Action: bigcommerce.PromotionAction{CartValue: &bigcommerce.CartValueAction{
			Discount: bigcommerce.Discount{PercentageAmount: &pct}}}}},
	})
	if err != nil {
		return bigcommerce.Promotion{}, classify("create coupon promotion", err)
	}
	return promo, nil
}

// SendMessage sends one message exactly once and says what became of it.
//
// The messages table's row for the idempotency key is the state machine:
// reserved, then attempting from just before the request leaves, then sent,
// refused or unknown. A failure where the request never left, or where the
// provider answered that it did not take it (429, 5xx), puts the row back
// to reserved and returns a retryable error: the retry sends. A failure
// after the request left with the answer lost returns a retryable error for
// email (Brevo deduplicates the resend by the same idempotency key), and
// SendUnknown for SMS and WhatsApp, which are never sent again. A refusal of
// the recipient or a template that does not render is SendRefused with the
// reason, not an error: nothing a shopper's data or the flows file causes
// fails the workflow. A retry returns what the row says.
func (a *Activities) SendMessage(ctx context.Context, in SendInput) (SendOutcome, error) {
	to := in.Shopper
	msg, _, err := a.Store.ReserveMessage(ctx, store.Message{
		IdempotencyKey: in.IdempotencyKey, StoreHash: in.StoreHash, ChannelID: int64(in.ChannelID),
		CustomerKey: to.CustomerKey(), Email: to.Email, Phone: to.Phone, Channel: string(in.Channel), Template: templateName(in),
		Flow: in.Flow, Step: in.Step,
	})
	if err != nil {
		return SendOutcome{}, fmt.Errorf("send: reserve %s: %w", in.IdempotencyKey, err)
	}
	// What an earlier attempt did stands (a retry after a real send to a
	// shopper who unsubscribed since is "already sent", not "suppressed");
	// a message not sent yet is checked against the suppression list.
	if to.Email != "" && msg.Status == store.MessageReserved {
		suppressed, _, err := a.Store.IsSuppressed(ctx, in.StoreHash, to.Email)
		if err != nil {
			return SendOutcome{}, fmt.Errorf("send: check suppression list: %w", err)
		}
		if suppressed {
			if err := a.Store.MarkMessageRefused(context.WithoutCancel(ctx), in.IdempotencyKey, "address suppressed", a.now()); err != nil {
				return SendOutcome{}, fmt.Errorf("send: mark %s suppressed: %w", in.IdempotencyKey, err)
			}
			return SendOutcome{Status: SendSuppressed}, nil
		}
	}
	if out, done, err := a.takeMessage(ctx, in, msg); done || err != nil {
		return out, err
	}
	// Bookkeeping after the request must happen even when the activity's
	// context ends: the row is the only record of what the provider did.
	bg := context.WithoutCancel(ctx)
	res, err := a.deliver(ctx, in)
	if err == nil {
		if err := a.Store.MarkMessageSent(bg, in.IdempotencyKey, res.MessageID, a.now()); err != nil {
			return SendOutcome{}, fmt.Errorf("send: mark %s sent: %w", in.IdempotencyKey, err)
		}
		return SendOutcome{Status: SendSent, ProviderMessageID: res.MessageID}, nil
	}
	if reason, refused := refusal(err); refused {
		if err := a.Store.MarkMessageRefused(bg, in.IdempotencyKey, reason, a.now()); err != nil {
			return SendOutcome{}, fmt.Errorf("send: mark %s refused: %w", in.IdempotencyKey, err)
		}
		return SendOutcome{Status: SendRefused, Reason: reason}, nil
	}
	var me *messaging.Error
	if errors.As(err, &me) && me.Uncertain {
		if in.Channel == config.ChannelEmail {
			// Left attempting: the retry resends with the same key.
			return SendOutcome{}, classify("send email", err)
		}
		if err := a.Store.MarkMessageUnknown(bg, in.IdempotencyKey, "request left, answer lost: "+me.Error(), a.now()); err != nil {
			return SendOutcome{}, fmt.Errorf("send: mark %s unknown: %w", in.IdempotencyKey, err)
		}
		return SendOutcome{Status: SendUnknown}, nil
	}
	// Nothing went out: the next attempt may send.
	if _, rerr := a.Store.ReleaseMessage(bg, in.IdempotencyKey, err.Error(), a.now()); rerr != nil {
		return SendOutcome{}, errors.Join(classify("send "+string(in.Channel), err), fmt.Errorf("send: release %s: %w", in.IdempotencyKey, rerr))
	}
	return SendOutcome{}, classify("send "+string(in.Channel), err)
}

// takeMessage moves the message's row to attempting when this attempt may
// send it. Otherwise done is true and out is what an earlier attempt left:
// sent, refused or unknown; or, for an SMS or WhatsApp row another attempt
// left attempting (it crashed or timed out mid-request), unknown.
func (a *Activities) takeMessage(ctx context.Context, in SendInput, msg *store.Message) (out SendOutcome, done bool, err error) {
	for range 3 {
		switch msg.Status {
		case store.MessageSent:
			return SendOutcome{Status: SendAlreadySent, ProviderMessageID: msg.ProviderMessageID}, true, nil
		case store.MessageRefused:
			return SendOutcome{Status: SendRefused, Reason: msg.Error}, true, nil
		case store.MessageUnknown:
			return SendOutcome{Status: SendUnknown}, true, nil
		case store.MessageAttempting:
			if in.Channel == config.ChannelEmail {
				return SendOutcome{}, false, nil // Brevo deduplicates the resend by its key
			}
			if err := a.Store.MarkMessageUnknown(ctx, in.IdempotencyKey, "an earlier attempt's request may have gone out", a.now()); err != nil {
				return SendOutcome{}, true, fmt.Errorf("send: mark %s unknown: %w", in.IdempotencyKey, err)
			}
			return SendOutcome{Status: SendUnknown}, true, nil
		case store.MessageReserved:
			started, err := a.Store.StartMessageAttempt(ctx, in.IdempotencyKey, a.now())
			if err != nil {
				return SendOutcome{}, true, fmt.Errorf("send: start %s: %w", in.IdempotencyKey, err)
			}
			if started {
				return SendOutcome{}, false, nil
			}
		default:
			return SendOutcome{}, true, fmt.Errorf("send: message %s has unknown status %q", in.IdempotencyKey, msg.Status)
		}
		// Another attempt moved the row meanwhile: read it again.
		if msg, err = a.Store.GetMessage(ctx, in.IdempotencyKey); err != nil {
			return SendOutcome{}, true, fmt.Errorf("send: read %s: %w", in.IdempotencyKey, err)
		}
	}
	return SendOutcome{}, true, fmt.Errorf("send: message %s keeps changing under this attempt", in.IdempotencyKey)
}

// refusal reports whether err means the message cannot go out as it stands
// (the provider or client refused it, or its template does not render), and
// why.
func refusal(err error) (reason string, refused bool) {
	var te *templateErr
	if errors.As(err, &te) {
		return "template: " + te.err.Error(), true
	}
	return messaging.Refusal(err)
}

func (a *Activities) deliver(ctx context.Context, in SendInput) (messaging.SendResult, error) {
	name := in.Shopper.FirstName
	if _, ok := in.Params["StoreName"]; !ok && a.Sender.Name != "" {
		params := make(map[string]any, len(in.Params)+1)
		for k, v := range in.Params {
			params[k] = v
		}
		params["StoreName"] = a.Sender.Name
		in.Params = params
	}
	switch in.Channel {
	case config.ChannelEmail:
		e := messaging.Email{
			IdempotencyKey: in.IdempotencyKey,
			To:             messaging.Address{Email: in.Shopper.Email, Name: name},
			Sender:         messaging.Address{Email: a.Sender.Email, Name: a.Sender.Name},
			Params:         in.Params,
			Tags:           in.Tags,
		}
		if in.Template.BrevoTemplateID != 0 {
			e.TemplateID = in.Template.BrevoTemplateID
		} else {
			subject, err := renderText(in.Template.Subject, in.Params)
			if err != nil {
				return messaging.SendResult{}, err
			}
			body, err := renderHTML(in.Template.Body, in.Params)
			if err != nil {
				return messaging.SendResult{}, err
			}
			e.Subject, e.HTMLContent = subject, body
		}
		return a.Messaging.SendEmail(ctx, e)
	case config.ChannelSMS:
		body, err := renderText(in.Template.Body, in.Params)
		if err != nil {
			return messaging.SendResult{}, err
		}
		tag := ""
		if len(in.Tags) > 0 {
			tag = in.Tags[len(in.Tags)-1]
		}
		return a.Messaging.SendSMS(ctx, messaging.SMS{IdempotencyKey: in.IdempotencyKey, Recipient: in.Shopper.Phone, Sender: a.Sender.SMSSender,
			Content: body, Tag: tag, Marketing: true})
	case config.ChannelWhatsApp:
		w := messaging.WhatsApp{IdempotencyKey: in.IdempotencyKey, Recipient: in.Shopper.Phone, SenderNumber: a.Sender.WhatsApp,
			TemplateID: in.Template.BrevoTemplateID, Params: in.Params}
		if w.TemplateID == 0 {
			text, err := renderText(in.Template.Body, in.Params)
			if err != nil {
				return messaging.SendResult{}, err
			}
			w.Text = text
		}
		return a.Messaging.SendWhatsApp(ctx, w)
	}
	return messaging.SendResult{}, temporal.NewNonRetryableApplicationError("unknown channel "+string(in.Channel), ErrTypeInvalid, nil)
}

func templateName(in SendInput) string {
	if in.Template.BrevoTemplateID != 0 {
		return "brevo:" + strconv.FormatInt(in.Template.BrevoTemplateID, 10)
	}
	return in.Step
}

// renderText fills a plain-text template (subjects, SMS) with params.
func renderText(src string, params map[string]any) (string, error) {
	t, err := texttemplate.New("t").Option("missingkey=zero").Parse(src)
	if err != nil {
		return "", templateError(err)
	}
	return execute(t, params)
}

// renderHTML fills an email body, escaping params for HTML.
func renderHTML(src string, params map[string]any) (string, error) {
	t, err := template.New("t").Option("missingkey=zero").Parse(src)
	if err != nil {
		return "", templateError(err)
	}
	return execute(t, params)
}

// execute runs a parsed text or HTML template.
func execute(t interface {
	Execute(w io.Writer, data any) error
}, params map[string]any) (string, error) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, params); err != nil {
		return "", templateError(err)
	}
	return buf.String(), nil
}

// templateErr is a template of the flows file that does not parse or run:
// retrying cannot fix it, and the send is refused with its reason.
type templateErr struct{ err error }

func (e *templateErr) Error() string { return "template: " + e.err.Error() }
func (e *templateErr) Unwrap() error { return e.err }

func templateError(err error) error { return &templateErr{err: err} }
