package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/workflows"
)

// TestLoyaltyBonusesEndToEnd: a new account earns the account-creation
// bonus through its customer-created webhook, once, and a reported review
// bonus (as the admin API starts it) is awarded once however often it is
// reported.
func TestLoyaltyBonusesEndToEnd(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	cust, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Email: "new@example.com", FirstName: "Nu"})
	if err != nil {
		t.Fatal(err)
	}
	id := int64(cust.ID)
	eventually(t, "the account creation bonus", func() (bool, string) {
		bal, life, err := s.store.Balance(ctx, s.hash, id)
		return err == nil && bal == 100 && life == 100, fmt.Sprintf("balance %d lifetime %d err %v", bal, life, err)
	})

	st := starter.New(s.c, taskQueue)
	in := workflows.LoyaltyBonusInput{StoreHash: s.hash, CustomerID: id, Email: cust.Email, Kind: workflows.BonusReviewSubmitted, Reference: "rev-77"}
	for i, want := range []bool{true, false, false} {
		started, wfID, err := st.AwardBonus(ctx, in)
		if err != nil || started != want {
			t.Fatalf("report %d: started %v, %v", i, started, err)
		}
		if err := s.c.GetWorkflow(ctx, wfID, "").Get(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	bal, life, err := s.store.Balance(ctx, s.hash, id)
	if err != nil || bal != 150 || life != 150 {
		t.Fatalf("after the review bonus: balance %d lifetime %d, %v (want 150)", bal, life, err)
	}
	// The customer-updated webhook that follows an edit starts a new contact
	// sync run: no second account-creation bonus.
	if _, err := s.bc.UpdateCustomer(s.hash, cust.ID, bcemu.CustomerInput{Email: cust.Email, FirstName: "Nuno"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the update synced", func() (bool, string) {
		c, ok := s.brevo.Contact("new@example.com")
		return ok && c.Attributes["FIRSTNAME"] == "Nuno", fmt.Sprint(c.Attributes)
	})
	if bal, _, _ := s.store.Balance(ctx, s.hash, id); bal != 150 {
		t.Fatalf("balance %d after the update, want 150", bal)
	}
}
