package brevo

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/bcflow/bcflow/messaging"
)

var (
	// Listing changes nothing; creating an attribute twice is refused as
	// a duplicate, which EnsureContactAttributes counts as done.
	epAttributes      = endpoint{http.MethodGet, "/contacts/attributes", true}
	epCreateAttribute = endpoint{http.MethodPost, "/contacts/attributes/{attributeCategory}/{attributeName}", true}
)

// attributeNameRe is Brevo's attribute name rule: a letter, then letters,
// digits and underscores.
var attributeNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// EnsureContactAttributes creates, in the "normal" category, the attributes
// of attrs the account does not have (GET /contacts/attributes, listed once
// per client, then POST /contacts/attributes/normal/{name}). Names compare
// case-insensitively, as Brevo stores them upper case; an existing
// attribute is left alone whatever its type. A create refused because the
// attribute already exists (another worker made it) counts as done. What
// exists is cached, so later calls send nothing; concurrent calls are
// serialised. Attributes with an empty or invalid name or a type other
// than text, float, boolean or date fail with KindValidation before
// anything is sent.
func (c *Client) EnsureContactAttributes(ctx context.Context, attrs []messaging.ContactAttribute) error {
	const op = "EnsureContactAttributes"
	for _, a := range attrs {
		if !attributeNameRe.MatchString(a.Name) {
			return c.errorf(op, messaging.KindValidation, "attribute name %q is not valid: use letters, digits and underscores, starting with a letter", a.Name)
		}
		switch a.Type {
		case messaging.AttributeText, messaging.AttributeFloat, messaging.AttributeBoolean, messaging.AttributeDate:
		default:
			return c.errorf(op, messaging.KindValidation, "attribute %s: type %q is not text, float, boolean or date", a.Name, a.Type)
		}
	}
	c.attrsMu.Lock()
	defer c.attrsMu.Unlock()
	if c.attrs == nil {
		existing, err := c.listAttributes(ctx, op)
		if err != nil {
			return err
		}
		c.attrs = existing
	}
	for _, a := range attrs {
		name := strings.ToUpper(a.Name)
		if c.attrs[name] {
			continue
		}
		path := "/contacts/attributes/normal/" + url.PathEscape(name)
		status, err := c.callPath(ctx, op, epCreateAttribute, path, map[string]string{"type": a.Type}, nil, nil)
		switch {
		case err == nil:
			c.log.InfoContext(ctx, "brevo: contact attribute created", "attribute", name, "type", a.Type)
		case status == http.StatusBadRequest && alreadyExists(err):
			c.log.DebugContext(ctx, "brevo: contact attribute already exists", "attribute", name)
		default:
			return err
		}
		c.attrs[name] = true
	}
	return nil
}

// listAttributes returns the upper-case names of the account's attributes.
func (c *Client) listAttributes(ctx context.Context, op string) (map[string]bool, error) {
	var out struct {
		Attributes []struct {
			Name string `json:"name"`
		} `json:"attributes"`
	}
	if _, err := c.call(ctx, op, epAttributes, nil, nil, &out); err != nil {
		return nil, err
	}
	names := make(map[string]bool, len(out.Attributes))
	for _, a := range out.Attributes {
		names[strings.ToUpper(a.Name)] = true
	}
	return names, nil
}

// alreadyExists reports whether a refused create says the attribute exists.
func alreadyExists(err error) bool {
	var e *messaging.Error
	if errors.As(err, &e) && e.Code == "duplicate_parameter" {
		return true
	}
	return isNoop(err, []string{"already exist"})
}
