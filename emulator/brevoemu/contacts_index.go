package brevoemu

import (
	"strconv"
	"strings"
)

// contactIndex finds contacts by identifier without scanning: a sync holds
// 100,000 of them. Every change to a contact's email, ext_id or SMS goes
// through unindex before and index after; caller holds e.mu.
type contactIndex struct {
	byID    map[int64]*Contact
	byEmail map[string]*Contact // lower-cased
	byExt   map[string]*Contact
	byPhone map[string]*Contact // normPhone(SMS attribute)
}

func newContactIndex(cs []*Contact) contactIndex {
	ix := contactIndex{
		byID:    make(map[int64]*Contact, len(cs)),
		byEmail: make(map[string]*Contact, len(cs)),
		byExt:   map[string]*Contact{},
		byPhone: map[string]*Contact{},
	}
	for _, c := range cs {
		ix.add(c)
	}
	return ix
}

func contactPhone(c *Contact) string {
	s, _ := c.Attributes["SMS"].(string)
	return normPhone(s)
}

func (ix *contactIndex) add(c *Contact) {
	ix.byID[c.ID] = c
	if c.Email != "" {
		ix.byEmail[strings.ToLower(c.Email)] = c
	}
	if c.ExtID != "" {
		ix.byExt[c.ExtID] = c
	}
	if p := contactPhone(c); p != "" {
		ix.byPhone[p] = c
	}
}

// remove drops c's current keys (only those that still point at c).
func (ix *contactIndex) remove(c *Contact) {
	if ix.byID[c.ID] == c {
		delete(ix.byID, c.ID)
	}
	if k := strings.ToLower(c.Email); k != "" && ix.byEmail[k] == c {
		delete(ix.byEmail, k)
	}
	if c.ExtID != "" && ix.byExt[c.ExtID] == c {
		delete(ix.byExt, c.ExtID)
	}
	if p := contactPhone(c); p != "" && ix.byPhone[p] == c {
		delete(ix.byPhone, p)
	}
}

// findContact looks a contact up; caller holds e.mu.
func (e *Emulator) findContact(identifierType, id string) *Contact {
	switch identifierType {
	case "email_id":
		if id == "" {
			return nil
		}
		return e.idx.byEmail[strings.ToLower(id)]
	case "contact_id":
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil
		}
		return e.idx.byID[n]
	case "ext_id":
		if id == "" {
			return nil
		}
		return e.idx.byExt[id]
	case "phone_id":
		if p := normPhone(id); p != "" {
			return e.idx.byPhone[p]
		}
	case "whatsapp_id":
		for _, c := range e.st.Contacts {
			if s, _ := c.Attributes["WHATSAPP"].(string); s != "" && normPhone(s) == normPhone(id) {
				return c
			}
		}
	}
	return nil
}

// mutateContact applies f to c keeping the index current; caller holds e.mu.
func (e *Emulator) mutateContact(c *Contact, f func(*Contact)) {
	e.idx.remove(c)
	f(c)
	e.idx.add(c)
}

// addContact stores a new contact; caller holds e.mu.
func (e *Emulator) addContact(c *Contact) {
	e.st.Contacts = append(e.st.Contacts, c)
	e.idx.add(c)
}
