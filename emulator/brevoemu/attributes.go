package brevoemu

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// Contact attributes: GET /v3/contacts/attributes and
// POST /v3/contacts/attributes/{attributeCategory}/{attributeName}.
//
// The account starts with Brevo's default attributes (defaultAttributes).
// Only the "normal" category can be created here (types text, date, float,
// boolean); the other categories Brevo documents answer 400 as not
// emulated. Contact values are still stored for attributes that do not
// exist (real Brevo drops them silently): tests that care check
// Attributes.

// Endpoint keys of the attribute routes.
const (
	EndpointListAttributes  = "GET /v3/contacts/attributes"
	EndpointCreateAttribute = "POST /v3/contacts/attributes/{attributeCategory}/{attributeName}"
)

// Attribute is a contact attribute of the account.
type Attribute struct {
	Name     string `json:"name"`
	Category string `json:"category"`
	Type     string `json:"type"`
}

// defaultAttributes are the attributes a new Brevo account has.
func defaultAttributes() []Attribute {
	return []Attribute{
		{Name: "EMAIL", Category: "normal", Type: "text"},
		{Name: "LASTNAME", Category: "normal", Type: "text"},
		{Name: "FIRSTNAME", Category: "normal", Type: "text"},
		{Name: "SMS", Category: "normal", Type: "text"},
		{Name: "ORDER_ID", Category: "transactional", Type: "id"},
		{Name: "ORDER_DATE", Category: "transactional", Type: "date"},
		{Name: "ORDER_PRICE", Category: "transactional", Type: "float"},
	}
}

// attributeCategories are the categories Brevo documents.
var attributeCategories = []string{"normal", "transactional", "category", "calculated", "global"}

// normalTypes are the types a "normal" attribute can be created with here.
var normalTypes = []string{"text", "date", "float", "boolean"}

// attributeNameRe is Brevo's attribute name rule: a letter, then letters,
// digits and underscores.
var attributeNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,49}$`)

// Attributes returns the account's contact attributes, in creation order
// (the defaults first).
func (e *Emulator) Attributes() []Attribute {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.st.Attributes)
}

// findAttribute returns the attribute named name (case-insensitively);
// caller holds e.mu.
func (e *Emulator) findAttribute(name string) *Attribute {
	for i := range e.st.Attributes {
		if strings.EqualFold(e.st.Attributes[i].Name, name) {
			return &e.st.Attributes[i]
		}
	}
	return nil
}

func (e *Emulator) listAttributes(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	out := slices.Clone(e.st.Attributes)
	e.mu.Unlock()
	if out == nil {
		out = []Attribute{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"attributes": out})
}

func (e *Emulator) createAttribute(w http.ResponseWriter, r *http.Request) {
	category, name := r.PathValue("attributeCategory"), r.PathValue("attributeName")
	var b struct {
		Type *string `json:"type"`
	}
	if _, ok := readJSON(w, r, &b); !ok {
		return
	}
	switch {
	case !slices.Contains(attributeCategories, category):
		writeError(w, http.StatusBadRequest, "invalid_parameter", "attributeCategory is not valid")
		return
	case category != "normal":
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("attributes of category %s are not emulated", category))
		return
	case !attributeNameRe.MatchString(name):
		writeError(w, http.StatusBadRequest, "invalid_parameter", "attributeName is not valid: use letters, digits and underscores, starting with a letter")
		return
	case b.Type == nil:
		writeError(w, http.StatusBadRequest, "missing_parameter", "type is missing")
		return
	case !slices.Contains(normalTypes, *b.Type):
		writeError(w, http.StatusBadRequest, "invalid_parameter", "type is not valid")
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.findAttribute(name) != nil {
		writeError(w, http.StatusBadRequest, "duplicate_parameter", "Attribute name already exists")
		return
	}
	e.st.Attributes = append(e.st.Attributes, Attribute{Name: strings.ToUpper(name), Category: category, Type: *b.Type})
	w.WriteHeader(http.StatusCreated)
}
