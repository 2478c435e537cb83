package e2e

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/server/temporaltest"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/devserver"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/worker"
	"github.com/bcflow/bcflow/workflows"
)

// latencies collects per-operation durations from parallel goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B, prefix string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	pct := func(p float64) float64 { return float64(l.d[int(float64(len(l.d)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), prefix+"p50-ms")
	b.ReportMetric(pct(0.99), prefix+"p99-ms")
}

type benchServer struct {
	c      client.Client
	apiURL string
	store  *store.Store
}

func newBenchServer(b *testing.B) *benchServer {
	b.Helper()
	ts := temporaltest.NewServer()
	b.Cleanup(ts.Stop)
	c := ts.GetDefaultClient()
	ctx := context.Background()
	if err := devserver.EnsureSearchAttributes(ctx, c, ts.GetDefaultNamespace(), workflows.SearchAttributes()); err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, "sqlite:"+b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	srv := api.New(api.Options{Logger: logger})
	srv.MountWebhooks(api.WebhookOptions{Secret: []byte(webhookSecret), Stores: map[string]api.StoreAuth{"bench": {}},
		Deliveries: st, Dispatcher: starter.New(c, taskQueue), Logger: logger})
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = srv.Serve(sctx, l); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	return &benchServer{c: c, apiURL: "http://" + l.Addr().String(), store: st}
}

var benchSeq atomic.Int64

// BenchmarkIngress compares, on one in-process Temporal server, the full
// webhook path (HTTP -> auth -> parse -> dedupe row -> SignalWithStart ->
// 200) with the raw SDK SignalWithStart of the same workflow. Each
// operation opens a new cart flow. Run:
//
//	go test ./e2e -run '^$' -bench Ingress -benchtime 2000x
func BenchmarkIngress(b *testing.B) {
	s := newBenchServer(b)
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.Run("webhook", func(b *testing.B) {
		var lat latencies
		b.SetParallelism(8)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n := benchSeq.Add(1)
				body := fmt.Sprintf(`{"scope":"store/cart/created","store_id":"1","producer":"stores/bench","hash":"h%d","created_at":%d,"data":{"type":"cart","id":"00000000-0000-4000-8000-%012d"}}`,
					n, time.Now().Unix(), n)
				req, _ := http.NewRequest(http.MethodPost, s.apiURL+"/webhooks/bigcommerce", bytes.NewBufferString(body))
				req.Header.Set(api.WebhookSecretHeader, webhookSecret)
				t0 := time.Now()
				resp, err := httpc.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				lat.add(time.Since(t0))
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "accepted/s")
		lat.report(b, "ack-")
	})
	b.Run("raw-signal-with-start", func(b *testing.B) {
		var lat latencies
		b.SetParallelism(8)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n := benchSeq.Add(1)
				id := workflows.CartRecoveryID("bench", fmt.Sprintf("raw-%d", n))
				t0 := time.Now()
				_, err := s.c.SignalWithStartWorkflow(context.Background(), id, workflows.SignalCartActivity, workflows.CartActivity{Scope: "store/cart/created"},
					client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue, TypedSearchAttributes: temporal.NewSearchAttributes(
						workflows.SearchStoreHash.ValueSet("bench"), workflows.SearchFlow.ValueSet(workflows.FlowCartRecovery), workflows.SearchCartID.ValueSet(id))},
					workflows.CartRecoveryWorkflowName, workflows.CartRecoveryInput{StoreHash: "bench", CartID: id})
				if err != nil {
					b.Error(err)
					return
				}
				lat.add(time.Since(t0))
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "accepted/s")
		lat.report(b, "ack-")
	})
}

// BenchmarkOpenCarts opens b.N cart recovery flows that sit waiting for
// abandonment on one worker (sticky cache on) and reports: the process heap
// growth per 10k open carts (the in-memory Temporal server shares this
// process, so this is a loose upper bound), and the latency from a cart exit
// signal (what the order webhook becomes) to the flow closing.
//
//	go test ./e2e -run '^$' -bench OpenCarts -benchtime 2000x
func BenchmarkOpenCarts(b *testing.B) {
	s := newBenchServer(b)
	acts := &activities.Activities{Store: s.store}
	w := worker.New(s.c, taskQueue, acts, worker.Options{})
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	ctx := context.Background()
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	ids := make([]string, b.N)
	b.ResetTimer()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range b.N {
		ids[i] = workflows.CartRecoveryID("bench", fmt.Sprintf("open-%d-%d", time.Now().UnixNano(), i))
		wg.Add(1)
		sem <- struct{}{}
		go func(id string) {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := s.c.SignalWithStartWorkflow(ctx, id, workflows.SignalCartActivity, workflows.CartActivity{}, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue},
				workflows.CartRecoveryWorkflowName, workflows.CartRecoveryInput{StoreHash: "bench", CartID: id}); err != nil {
				b.Error(err)
			}
		}(ids[i])
	}
	wg.Wait()
	// Every flow has run its first task (ResolveFlows, then a timer) once
	// the task queue has drained: wait for the last one's timer.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		d, err := s.c.DescribeWorkflowExecution(ctx, ids[len(ids)-1], "")
		if err == nil && d.GetPendingWorkflowTask() == nil && d.GetWorkflowExecutionInfo().GetHistoryLength() >= 8 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("flows did not settle")
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.StopTimer()
	after := heap()
	b.ReportMetric(float64(after-before)/float64(b.N)*10000/(1<<20), "process-MiB/10k-open-carts")

	var lat latencies
	n := min(b.N, 200)
	for i := range n {
		t0 := time.Now()
		if err := s.c.SignalWorkflow(ctx, ids[i], "", workflows.SignalCartExit, workflows.CartExit{Reason: workflows.ExitConverted}); err != nil {
			b.Fatal(err)
		}
		if err := s.c.GetWorkflow(ctx, ids[i], "").Get(ctx, nil); err != nil {
			b.Fatal(err)
		}
		lat.add(time.Since(t0))
	}
	lat.report(b, "exit-to-closed-")
}
