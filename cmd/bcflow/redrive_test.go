package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/starter"
)

// fakeRedriver answers the admin route as a re-drive of one workflow would;
// the real re-drive against Temporal is in e2e.
type fakeRedriver struct{ got []starter.RedriveRequest }

func (f *fakeRedriver) Redrive(_ context.Context, req starter.RedriveRequest) (starter.RedriveReport, error) {
	f.got = append(f.got, req)
	r := starter.Redriven{WorkflowID: "cart/abc123/09346904-4175-44fd-be53-f7e598531b6c", WorkflowType: "CartRecovery", Status: "Failed", FailedRunID: "run-1"}
	if !req.DryRun {
		r.NewRunID = "run-2"
	}
	return starter.RedriveReport{DryRun: req.DryRun, Redriven: []starter.Redriven{r}}, nil
}

func TestRedriveCommand(t *testing.T) {
	t.Setenv("BCFLOW_ADMIN_TOKEN", "cli-admin-token")
	fake := &fakeRedriver{}
	srv := api.New(api.Options{Logger: slog.New(slog.DiscardHandler)})
	api.MountRedrive(srv.Admin([]byte("cli-admin-token")), fake, []string{"abc123"}, nil)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	runCLI := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), &cliEnv{stdout: &out, stderr: &errb}, append([]string{"redrive"}, args...))
		return code, out.String(), errb.String()
	}
	// Bad flags: exit 2 and one line naming the problem; nothing is sent.
	for _, args := range [][]string{{"-nope"}, {"-limit", "x"}, {"-limit", "5000"}, {"-store", "ABC/1"}, {"-flow", `a"b`}, {"extra"}} {
		code, out, errs := runCLI(append(args, "-url", hs.URL)...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "bcflow redrive: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line", args, code, out, errs)
		}
	}
	if len(fake.got) != 0 {
		t.Fatalf("bad flags reached the API: %+v", fake.got)
	}
	code, out, errs := runCLI("-url", hs.URL, "-store", "abc123", "-flow", "cart-recovery", "-dry-run")
	if code != 0 || !strings.Contains(out, "(dry run)") || !strings.Contains(out, "1 workflow(s) would be re-driven") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI("-url", hs.URL, "-limit", "3")
	if code != 0 || !strings.Contains(out, "run-2") || !strings.Contains(out, "1 workflow(s) re-driven, 0 skipped") {
		t.Fatalf("re-drive: exit %d\n%s%s", code, out, errs)
	}
	want := []starter.RedriveRequest{{StoreHash: "abc123", Flow: "cart-recovery", DryRun: true, Limit: starter.RedriveDefaultLimit}, {Limit: 3}}
	if len(fake.got) != 2 || fake.got[0] != want[0] || fake.got[1] != want[1] {
		t.Fatalf("API got %+v, want %+v", fake.got, want)
	}
	// The API's error reaches the operator.
	code, _, errs = runCLI("-url", hs.URL, "-store", "zzz999")
	if code != 1 || !strings.Contains(errs, "404 unknown_store") {
		t.Fatalf("unknown store: exit %d %q", code, errs)
	}
}
