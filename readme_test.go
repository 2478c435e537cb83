package bcflow_test

import (
	"os"
	"strings"
	"testing"

	"github.com/bcflow/bcflow/config"
)

// TestREADMEListsEveryVariable keeps README's configuration table true.
func TestREADMEListsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range (*config.Config)(nil).Describe() {
		if !strings.Contains(string(readme), "| `"+s.Name+"` |") {
			t.Errorf("README's configuration table lacks %s (%s)", s.Name, s.Description)
		}
	}
	for _, cmd := range []string{"go run ./cmd/bcflow dev", "scripts/test"} {
		if !strings.Contains(string(readme), cmd) {
			t.Errorf("README lacks the command %q", cmd)
		}
	}
}
