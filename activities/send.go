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

// Send outcomes.
const (
	SendSent        = "sent"
	SendAlreadySent = "already_sent"
	SendSuppressed  = "suppressed"
	// SendUncertain: an SMS or WhatsApp attempt may have reached the
	// provider, which does not deduplicate them; bcflow does not try again,
	// preferring a missed reminder to a duplicate.
	SendUncertain = "uncertain"
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
		StoreHash: in.StoreHash, CustomerKey: in.CustomerKey, WorkflowID: in.WorkflowID, Flow: in.Flow,
		Step: in.Step, Decision: in.Decision, Reason: in.Reason, Details: details, At: in.At,
	})
	if err != nil {
		return fmt.Errorf("record decision: %w", err)
	}
	return nil
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
// code comes from the workflow, so a retry finds the code it created.
func (a *Activities) EnsureCoupon(ctx context.Context, in CouponInput) (Coupon, error) {
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return Coupon{}, err
	}
	promo, err := a.couponPromotion(ctx, bc, in.Percent)
	if err != nil {
		return Coupon{}, err
	}
	_, err = bc.CreatePromotionCode(ctx, promo.ID, bigcommerce.CouponCodeInput{Code: in.Code, MaxUses: 1, MaxUsesPerCustomer: 1})
	if err != nil && !bigcommerce.IsConflict(err) {
		return Coupon{}, classify("create coupon code", err)
	}
	return Coupon{Code: in.Code, Percent: in.Percent, ExpiresAt: in.ExpiresAt}, nil
}

func (a *Activities) couponPromotion(ctx context.Context, bc *bigcommerce.Client, percent int) (bigcommerce.Promotion, error) {
	name := fmt.Sprintf("bcflow: %d%% off", percent)
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
		Name: name, RedemptionType: "COUPON", CouponType: "BULK",
		Rules: []bigcommerce.PromotionRule{{Action: bigcommerce.PromotionAction{CartValue: &bigcommerce.CartValueAction{
			Discount: bigcommerce.Discount{PercentageAmount: &pct}}}}},
	})
	if err != nil {
		return bigcommerce.Promotion{}, classify("create coupon promotion", err)
	}
	return promo, nil
}

// SendMessage sends one message exactly once. The messages table's unique
// idempotency key is reserved first; a retry that finds the message sent
// returns the first result. Emails also carry the key to Brevo, which
// deduplicates them, so a crash between the send and the bookkeeping is
// safe; SMS and WhatsApp are not deduplicated by the provider, so an attempt
// whose fate is unknown is never repeated (SendUncertain).
func (a *Activities) SendMessage(ctx context.Context, in SendInput) (SendOutcome, error) {
	to := in.Shopper
	if to.Email != "" {
		suppressed, _, err := a.Store.IsSuppressed(ctx, in.StoreHash, to.Email)
		if err != nil {
			return SendOutcome{}, fmt.Errorf("send: check suppression list: %w", err)
		}
		if suppressed {
			return SendOutcome{Status: SendSuppressed}, nil
		}
	}
	existing, reserved, err := a.Store.ReserveMessage(ctx, store.Message{
		IdempotencyKey: in.IdempotencyKey, StoreHash: in.StoreHash, ChannelID: int64(in.ChannelID),
		CustomerKey: to.CustomerKey(), Email: to.Email, Phone: to.Phone, Channel: string(in.Channel), Template: templateName(in),
	})
	if err != nil {
		return SendOutcome{}, fmt.Errorf("send: reserve %s: %w", in.IdempotencyKey, err)
	}
	if !reserved {
		switch {
		case existing.Status == store.MessageSent:
			return SendOutcome{Status: SendAlreadySent, ProviderMessageID: existing.ProviderMessageID}, nil
		case in.Channel != config.ChannelEmail:
			// An earlier attempt may have reached the provider.
			return SendOutcome{Status: SendUncertain}, nil
		}
		// Email: Brevo's idempotency key makes a repeat safe.
	}
	res, err := a.deliver(ctx, in)
	if err != nil {
		var me *messaging.Error
		if errors.As(err, &me) && me.Uncertain && in.Channel != config.ChannelEmail {
			_ = a.Store.MarkMessageFailed(context.WithoutCancel(ctx), in.IdempotencyKey, "uncertain: "+me.Error(), a.now())
			return SendOutcome{Status: SendUncertain}, nil
		}
		if !messaging.IsRetryable(err) {
			_ = a.Store.MarkMessageFailed(context.WithoutCancel(ctx), in.IdempotencyKey, err.Error(), a.now())
		}
		return SendOutcome{}, classify("send "+string(in.Channel), err)
	}
	if err := a.Store.MarkMessageSent(context.WithoutCancel(ctx), in.IdempotencyKey, res.MessageID, a.now()); err != nil {
		return SendOutcome{}, fmt.Errorf("send: mark %s sent: %w", in.IdempotencyKey, err)
	}
	return SendOutcome{Status: SendSent, ProviderMessageID: res.MessageID}, nil
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

// templateError marks a template problem non-retryable: retrying the send
// cannot fix the flows file.
func templateError(err error) error {
	return temporal.NewNonRetryableApplicationError("template: "+err.Error(), ErrTypeInvalid, err)
}
