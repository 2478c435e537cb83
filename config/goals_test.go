package config

import (
	"strings"
	"testing"
)

func TestReplenishmentStepNameIsReserved(t *testing.T) {
	const file = `defaults:
  order_goals:
    goals:
      - name: beans
        kind: sku
        sku: BEANS
        sequence:
          - {name: replenishment, delay: 1d, channel: email, template: {brevo_template_id: 2}}
        replenishment: {period_per_unit: 30d, channel: email, template: {brevo_template_id: 3}}
`
	_, err := ParseFlows("flows.yaml", []byte(file))
	if err == nil || !strings.Contains(err.Error(), `flows.yaml:8: defaults.order_goals.goals[0].sequence[0].name: "replenishment" is the replenishment reminder's own step name`) {
		t.Fatalf("err = %v", err)
	}
	// Without a replenishment reminder the name is free.
	if _, err := ParseFlows("flows.yaml", []byte(strings.Replace(file, "        replenishment: {period_per_unit: 30d, channel: email, template: {brevo_template_id: 3}}\n", "", 1))); err != nil {
		t.Fatal(err)
	}
}
