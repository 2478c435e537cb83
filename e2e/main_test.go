package e2e

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/bcflow/bcflow/workflows"
)

// bcflowBin is the bcflow binary built once for the tests that run it.
var bcflowBin string

func TestMain(m *testing.M) {
	// Outages in these tests last seconds: retries of failed activities
	// come at most 2 s apart (production: 1 min database, 10 min APIs).
	workflows.SetRetryCap(2 * time.Second)
	dir, err := os.MkdirTemp("", "bcflow-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bcflowBin = filepath.Join(dir, "bcflow")
	build := exec.Command("go", "build", "-o", bcflowBin, "./cmd/bcflow")
	build.Dir = moduleRoot()
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build bcflow: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func moduleRoot() string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		panic(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// bcflowResult is one finished run of the binary.
type bcflowResult struct {
	code           int
	stdout, stderr string
}

// runBcflow runs the binary to completion with exactly env (plus PATH/HOME).
func runBcflow(t *testing.T, env []string, args ...string) bcflowResult {
	t.Helper()
	cmd := exec.Command(bcflowBin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run bcflow %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return bcflowResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func listRequest(query string) *workflowservice.ListWorkflowExecutionsRequest {
	return &workflowservice.ListWorkflowExecutionsRequest{Query: query}
}

// lockedBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) WriteString(s string) {
	_, _ = b.Write([]byte(s))
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
