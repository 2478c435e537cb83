package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"github.com/bcflow/bcflow/devserver"
	"github.com/bcflow/bcflow/emulator"
	"github.com/bcflow/bcflow/workflows"
)

// heapInuse reads go_memstats_heap_inuse_bytes from a bcflow process's
// /metrics.
func heapInuse(url string) (float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_inuse_bytes "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("no heap metric at %s", url)
}

// BenchmarkWorkerMemory runs `bcflow worker` as its own process against an
// in-process Temporal server, opens b.N cart flows that wait for
// abandonment, and reports the worker process's heap growth per 10k open
// carts as its own /metrics reports it — the worker's memory alone, with
// every flow resident in its sticky cache (default size 10 000).
//
//	go test ./e2e -run '^$' -bench WorkerMemory -benchtime 5000x
func BenchmarkWorkerMemory(b *testing.B) {
	ts := temporaltest.NewServer()
	b.Cleanup(ts.Stop)
	ctx := context.Background()
	c := ts.GetDefaultClient()
	if err := devserver.EnsureSearchAttributes(ctx, c, ts.GetDefaultNamespace(), workflows.SearchAttributes()); err != nil {
		b.Fatal(err)
	}
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		b.Fatal(err)
	}
	base, err := emu.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = emu.Shutdown(context.Background()) })
	info := emu.BigCommerce().Stores()[0]
	l := fmt.Sprintf("127.0.0.1:%d", freePort(b))
	metricsURL := "http://" + l + "/metrics"
	cmd := exec.Command(bcflowBin, "worker")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"TEMPORAL_ADDRESS=" + ts.GetFrontendHostPort(), "TEMPORAL_NAMESPACE=" + ts.GetDefaultNamespace(),
		"DATABASE_URL=sqlite:" + b.TempDir() + "/w.db", "BCFLOW_HTTP_ADDR=" + l, "BCFLOW_LOG_LEVEL=error",
		"BCFLOW_BC_STORE_HASH=" + info.Hash, "BCFLOW_BC_ACCESS_TOKEN=" + info.AccessToken, "BCFLOW_BC_API_BASE_URL=" + base,
		"BCFLOW_BREVO_API_KEY=" + emu.Brevo().APIKeys()[0], "BCFLOW_BREVO_BASE_URL=" + base + "/v3"}
	// The worker migrates nothing itself: prepare its SQLite store.
	mig := exec.Command(bcflowBin, "migrate")
	mig.Env = cmd.Env
	if out, err := mig.CombinedOutput(); err != nil {
		b.Fatalf("migrate: %v\n%s", err, out)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGINT); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	var before float64
	for {
		if before, err = heapInuse(metricsURL); err == nil {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("worker did not come up: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // let start-up garbage settle
	before, _ = heapInuse(metricsURL)

	b.ResetTimer()
	ids := make([]string, b.N)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range b.N {
		ids[i] = workflows.CartRecoveryID(info.Hash, fmt.Sprintf("mem-%d", i))
		wg.Add(1)
		sem <- struct{}{}
		go func(id string) {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := c.SignalWithStartWorkflow(ctx, id, workflows.SignalCartActivity, workflows.CartActivity{}, client.StartWorkflowOptions{ID: id, TaskQueue: "bcflow"},
				workflows.CartRecoveryWorkflowName, workflows.CartRecoveryInput{StoreHash: info.Hash, CartID: id}); err != nil {
				b.Error(err)
			}
		}(ids[i])
	}
	wg.Wait()
	for _, id := range []string{ids[0], ids[len(ids)-1]} {
		for {
			d, err := c.DescribeWorkflowExecution(ctx, id, "")
			if err == nil && d.GetPendingWorkflowTask() == nil && len(d.GetPendingActivities()) == 0 && d.GetWorkflowExecutionInfo().GetHistoryLength() >= 8 {
				break
			}
			if time.Now().After(deadline.Add(5 * time.Minute)) {
				b.Fatal("flows did not settle")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	b.StopTimer()
	time.Sleep(2 * time.Second)
	after, err := heapInuse(metricsURL)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric((after-before)/float64(b.N)*10000/(1<<20), "worker-heap-MiB/10k-open-carts")
	b.ReportMetric(after/(1<<20), "worker-heap-MiB")
}
