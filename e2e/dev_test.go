package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/bcflow/bcflow/workflows"
)

// devProcess is a running `bcflow dev`.
type devProcess struct {
	cmd      *exec.Cmd
	done     chan error
	stdout   *lockedBuffer
	apiURL   string
	uiURL    string
	temporal string
}

// devEnv is the environment of one `bcflow dev` with its own ports and data.
func devEnv(t *testing.T, dataDir string) []string {
	return []string{
		"BCFLOW_DATA_DIR=" + dataDir,
		fmt.Sprintf("BCFLOW_HTTP_ADDR=127.0.0.1:%d", freePort(t)),
		fmt.Sprintf("BCFLOW_DEV_TEMPORAL_PORT=%d", freePort(t)),
		fmt.Sprintf("BCFLOW_DEV_UI_PORT=%d", freePort(t)),
		fmt.Sprintf("BCFLOW_DEV_EMULATOR_ADDR=127.0.0.1:%d", freePort(t)),
		"BCFLOW_LOG_LEVEL=warn",
	}
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// startDev starts `bcflow dev` and waits until its banner says it is up.
func startDev(t *testing.T, env []string) *devProcess {
	t.Helper()
	cmd := exec.Command(bcflowBin, "dev")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	out := &lockedBuffer{}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &devProcess{cmd: cmd, done: make(chan error, 1), stdout: out}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			out.WriteString(line + "\n")
			if strings.Contains(line, "Temporal UI") && !signalled {
				signalled = true
				close(ready)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
		checkProcessLog(t, "bcflow dev", out.String())
	})
	select {
	case <-ready:
	case err := <-p.done:
		t.Fatalf("bcflow dev exited early: %v\n%s", err, out.String())
	case <-time.After(90 * time.Second):
		t.Fatalf("bcflow dev did not come up:\n%s", out.String())
	}
	p.apiURL = "http://" + envValue(env, "BCFLOW_HTTP_ADDR")
	p.uiURL = "http://127.0.0.1:" + envValue(env, "BCFLOW_DEV_UI_PORT")
	p.temporal = "127.0.0.1:" + envValue(env, "BCFLOW_DEV_TEMPORAL_PORT")
	return p
}

// stop sends Ctrl-C and waits for a clean exit.
func (p *devProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("bcflow dev did not exit cleanly on Ctrl-C: %v\n%s", err, p.stdout.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("bcflow dev still running 60 s after Ctrl-C\n%s", p.stdout.String())
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestDevRunsEverythingAndKeepsStateAcrossRestarts is the "done":
// `bcflow dev` brings up Temporal + UI + API + worker; /healthz answers;
// the UI page loads; doctor runs a workflow through the worker; Ctrl-C stops
// cleanly; a second start reuses the data and a workflow that was waiting
// on a timer when the process stopped runs to completion after the restart.
func TestDevRunsEverythingAndKeepsStateAcrossRestarts(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := devEnv(t, dataDir)
	dev := startDev(t, env)

	if code, body := httpGet(t, dev.apiURL+"/healthz"); code != http.StatusOK {
		t.Fatalf("healthz = %d %s", code, body)
	}
	if code, body := httpGet(t, dev.apiURL+"/readyz"); code != http.StatusOK || !strings.Contains(body, `"temporal":"ok"`) || !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("readyz = %d %s", code, body)
	}
	if code, body := httpGet(t, dev.uiURL+"/"); code != http.StatusOK || !strings.Contains(strings.ToLower(body), "<html") {
		t.Fatalf("Temporal UI page = %d %.200s", code, body)
	}
	if code, body := httpGet(t, dev.apiURL+"/metrics"); code != http.StatusOK || !strings.Contains(body, "bcflow_temporal_") {
		t.Fatalf("metrics lack Temporal SDK metrics: %d", code)
	}

	toolEnv := append([]string{"TEMPORAL_ADDRESS=" + dev.temporal}, env...)
	if res := runBcflow(t, toolEnv, "doctor"); res.code != 0 || !strings.Contains(res.stdout, "ok:") {
		t.Fatalf("doctor: code %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	// A manual start, as the webhook would do it.
	if res := runBcflow(t, toolEnv, "start", "-store", "bcflowdev", "store/cart/abandoned", "0b8f6a3e-7c1d-4f2a-9e5b-3c4d5e6f7a81", "token=tok1"); res.code != 0 ||
		!strings.Contains(res.stdout, "signalled cart/bcflowdev/0b8f6a3e-7c1d-4f2a-9e5b-3c4d5e6f7a81") {
		t.Fatalf("start: code %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if res := runBcflow(t, toolEnv, "start", "-store", "bcflowdev", "store/information/updated", "5"); res.code != 2 || !strings.Contains(res.stderr, "does not act on scope") {
		t.Fatalf("start with an unsupported scope: code %d %s", res.code, res.stderr)
	}

	// A workflow that waits 4 s before its first task, across a restart.
	c, err := client.Dial(client.Options{HostPort: dev.temporal})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.DiagnosticsID("restart"), TaskQueue: "bcflow", StartDelay: 4 * time.Second,
	}, workflows.DiagnosticsWorkflowName, workflows.DiagnosticsInput{Probe: "restart"})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	dev.stop(t)

	dev = startDev(t, env)
	c, err = client.Dial(client.Options{HostPort: dev.temporal})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var res workflows.DiagnosticsResult
	if err := c.GetWorkflow(ctx, run.GetID(), run.GetRunID()).Get(ctx, &res); err != nil {
		t.Fatalf("delayed workflow after restart: %v", err)
	}
	if res.Probe != "restart" {
		t.Fatalf("result = %+v", res)
	}
	// The doctor's workflow from before the restart is still there.
	list, err := c.ListWorkflow(ctx, listRequest(`BcFlow = "diagnostics"`))
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Executions) == 0 || list.Executions[0].Status != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("doctor workflow lost across restart: %+v", list.Executions)
	}
	dev.stop(t)
}

// TestBadConfigurationExitsTwoWithOneClearLine covers the CLI's promise for
// bad configuration and bad flows files.
func TestBadConfigurationExitsTwoWithOneClearLine(t *testing.T) {
	badFlows := filepath.Join(t.TempDir(), "flows.yaml")
	if err := os.WriteFile(badFlows, []byte("defaults:\n  cart_recovery:\n    enabled: true\n    bogus_key: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"worker without secrets", nil, []string{"worker"}, []string{"BCFLOW_BC_ACCESS_TOKEN", "BCFLOW_BREVO_API_KEY", "DATABASE_URL"}},
		{"api without secrets", []string{"DATABASE_URL=postgres://127.0.0.1/test"}, []string{"api"}, []string{"BCFLOW_WEBHOOK_SECRET", "BCFLOW_ADMIN_TOKEN"}},
		{"bad log level", []string{"BCFLOW_LOG_LEVEL=loud"}, []string{"dev"}, []string{"BCFLOW_LOG_LEVEL"}},
		{"bad database scheme", []string{"DATABASE_URL=mysql://u:hunter2@h/db"}, []string{"migrate"}, []string{"DATABASE_URL"}},
		{"bad flows file at dev start", []string{"BCFLOW_FLOWS_FILE=" + badFlows}, []string{"dev"}, []string{"flows.yaml:4", "bogus_key"}},
		{"flows check", nil, []string{"flows", "check", badFlows}, []string{"flows.yaml:4", "bogus_key"}},
		{"unknown command", nil, []string{"frobnicate"}, []string{"unknown command"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := runBcflow(t, tc.env, tc.args...)
			if res.code != 2 {
				t.Fatalf("exit code %d, want 2\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
			}
			last := strings.TrimSpace(res.stderr)
			if i := strings.LastIndex(last, "\n"); i >= 0 {
				last = last[i+1:]
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
				}
			}
			if !strings.HasPrefix(last, "bcflow") {
				t.Errorf("last line %q is not bcflow's one-line error", last)
			}
			if strings.Contains(res.stderr, "hunter2") {
				t.Errorf("password leaked: %s", res.stderr)
			}
		})
	}
	if res := runBcflow(t, nil, "flows", "check", filepath.Join(moduleRoot(), "config", "flows.default.yaml")); res.code != 0 {
		t.Fatalf("the shipped example flows file fails its own check: %s", res.stderr)
	}
}

// TestSimRunsTheEmulatorStandalone: `bcflow sim` prints its URLs and the
// seeded store's credentials, serves the store API with them, and stops on
// Ctrl-C.
func TestSimRunsTheEmulatorStandalone(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(bcflowBin, "sim", "-addr", addr)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "access_token") {
		if time.Now().After(deadline) {
			t.Fatalf("sim printed no credentials:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "dev-access-token") || !strings.Contains(out.String(), "http://"+addr) {
		t.Fatalf("sim output lacks the token or URL:\n%s", out.String())
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/stores/bcflowdev/v3/catalog/products?limit=1", nil)
	req.Header.Set("X-Auth-Token", "dev-access-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Rate-Limit-Requests-Quota") == "" {
		t.Fatalf("store API with the printed token: %d %v", resp.StatusCode, resp.Header)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sim did not exit cleanly: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("sim still running after Ctrl-C")
	}
}
