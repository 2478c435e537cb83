package brevo

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/bcflow/bcflow/messaging"
)

var _ messaging.ContactReader = (*Client)(nil)

// ContactStatus reads a contact's blacklist flags through
// GET /contacts/{identifier}, by email or else by SMS number. A contact
// Brevo does not know is Found false, not an error.
func (c *Client) ContactStatus(ctx context.Context, email, phone string) (messaging.ContactStatus, error) {
	const op = "ContactStatus"
	id := strings.TrimSpace(email)
	if id == "" {
		if phone != "" && !e164.MatchString(phone) {
			return messaging.ContactStatus{}, c.errorf(op, messaging.KindValidation, "phone is not an E.164 number")
		}
		id = phone
	}
	if id == "" {
		return messaging.ContactStatus{}, c.errorf(op, messaging.KindValidation, "an email or a phone number is required")
	}
	var out struct {
		EmailBlacklisted bool `json:"emailBlacklisted"`
		SMSBlacklisted   bool `json:"smsBlacklisted"`
	}
	status, err := c.callPath(ctx, op, epGetContact, "/contacts/"+url.PathEscape(id), nil, nil, &out)
	if status == http.StatusNotFound {
		return messaging.ContactStatus{}, nil
	}
	if err != nil {
		return messaging.ContactStatus{}, err
	}
	return messaging.ContactStatus{Found: true, EmailBlacklisted: out.EmailBlacklisted, SMSBlacklisted: out.SMSBlacklisted}, nil
}
