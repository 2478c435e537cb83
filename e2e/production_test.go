package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bcflow/bcflow/emulator"
	"github.com/bcflow/bcflow/store"
)

// postgresSchema creates a throwaway schema on the machine's PostgreSQL and
// returns a DATABASE_URL that uses it.
func postgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv("BCFLOW_TEST_POSTGRES_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := context.Background()
	admin, err := store.Open(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL (CI starts it; set BCFLOW_TEST_POSTGRES_URL): %v", err)
	}
	defer admin.Close()
	schema := fmt.Sprintf("bcflow_e2e_%d", time.Now().UnixNano())
	if _, err := admin.DB().ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if a, err := store.Open(context.Background(), base); err == nil {
			_, _ = a.DB().ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			_ = a.Close()
		}
	})
	return base + "&search_path=" + schema
}

// TestProductionProcessesOnPostgreSQL runs the binary the way production
// does: `bcflow migrate -temporal`, then separate `bcflow worker` and
// `bcflow api` processes against an external Temporal server and
// PostgreSQL; `bcflow doctor` proves a workflow runs through them.
func TestProductionProcessesOnPostgreSQL(t *testing.T) {
	ts, _ := newTemporal(t)
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	base, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Shutdown(context.Background()) })
	info := emu.BigCommerce().Stores()[0]
	apiAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	env := []string{
		"TEMPORAL_ADDRESS=" + ts.GetFrontendHostPort(), "TEMPORAL_NAMESPACE=" + ts.GetDefaultNamespace(),
		"DATABASE_URL=" + postgresSchema(t), "BCFLOW_LOG_LEVEL=warn",
		"BCFLOW_BC_STORE_HASH=" + info.Hash, "BCFLOW_BC_ACCESS_TOKEN=" + info.AccessToken, "BCFLOW_BC_CLIENT_SECRET=" + info.ClientSecret,
		"BCFLOW_BC_API_BASE_URL=" + base, "BCFLOW_BREVO_BASE_URL=" + base + "/v3", "BCFLOW_BREVO_API_KEY=" + emu.Brevo().APIKeys()[0],
		"BCFLOW_WEBHOOK_SECRET=prod-secret", "BCFLOW_ADMIN_TOKEN=prod-admin", "BCFLOW_PUBLIC_URL=http://" + apiAddr,
	}
	for range 2 { // migrations are idempotent
		if res := runBcflow(t, env, "migrate", "-temporal"); res.code != 0 || !strings.Contains(res.stdout, "postgres") {
			t.Fatalf("migrate: %d\n%s%s", res.code, res.stdout, res.stderr)
		}
	}
	start := func(args []string, extra ...string) *exec.Cmd {
		cmd := exec.Command(bcflowBin, args...)
		cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...), extra...)
		out := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGINT)
			_, _ = cmd.Process.Wait()
			checkProcessLog(t, "bcflow "+args[0], out.String())
			if t.Failed() {
				t.Logf("%v output:\n%s", args, out.String())
			}
		})
		return cmd
	}
	start([]string{"worker"}, fmt.Sprintf("BCFLOW_HTTP_ADDR=127.0.0.1:%d", freePort(t)))
	start([]string{"api"}, "BCFLOW_HTTP_ADDR="+apiAddr)
	eventually(t, "the API ready on Temporal and PostgreSQL", func() (bool, string) {
		resp, err := http.Get("http://" + apiAddr + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	res := runBcflow(t, env, "doctor")
	if res.code != 0 || !strings.Contains(res.stdout, "postgres database round-tripped") {
		t.Fatalf("doctor: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	// The worker registered the store's webhooks through its schedule.
	eventually(t, "hooks registered by the schedule", func() (bool, string) {
		res := runBcflow(t, env, "hooks", "status")
		return res.code == 0 && strings.Contains(res.stdout, "store/cart/abandoned"), res.stdout + res.stderr
	})
}
