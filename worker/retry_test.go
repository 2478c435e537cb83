package worker

import (
	"strings"
	"testing"
)

func TestRedactMasksAddressesAndPhones(t *testing.T) {
	in := `send email: brevo 503 for to=Ann.Lee+promo@Example.co.uk (sms +1 (555) 010-2030); customer 42 order 1001`
	got := Redact(in)
	for _, leaked := range []string{"Ann.Lee", "Example.co.uk", "555", "2030"} {
		if strings.Contains(got, leaked) {
			t.Fatalf("Redact(%q) = %q still shows %q", in, got, leaked)
		}
	}
	if !strings.Contains(got, "customer 42 order 1001") || !strings.Contains(got, "[email]") || !strings.Contains(got, "[phone]") {
		t.Fatalf("Redact(%q) = %q: ids must stay, addresses masked", in, got)
	}
}
