package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/config"
)

// runLoad is a small load generator for the webhook receiver: it posts
// distinct store/cart/created webhooks (each opens a new cart flow) to a
// running bcflow and reports accepted webhooks per second and ack latency.
func runLoad(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "load", "load [-n 2000] [-c 16] [URL]\n\nPosts N distinct store/cart/created webhooks with C concurrent senders to a running bcflow\n(default http://BCFLOW_HTTP_ADDR/webhooks/bigcommerce, using BCFLOW_WEBHOOK_SECRET and BCFLOW_BC_STORE_HASH;\n`bcflow dev` defaults: dev-webhook-secret, bcflowdev) and prints accepted/s and p50/p90/p99 ack latency.")
	n := fs.Int("n", 2000, "webhooks to send")
	conc := fs.Int("c", 16, "concurrent senders")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(config.ModeTool)
	if err != nil {
		return err
	}
	target := "http://" + cfg.HTTPAddr + webhookPath
	if fs.NArg() == 1 {
		target = fs.Arg(0)
	}
	secret, store := cfg.WebhookSecret.Reveal(), cfg.BigCommerce.StoreHash
	if secret == "" {
		secret = "dev-webhook-secret"
	}
	if store == "" {
		store = "bcflowdev"
	}
	if *n < 1 || *conc < 1 {
		return usagef("-n and -c must be positive")
	}
	run := time.Now().UnixNano()
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var failures atomic.Int64
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc}, Timeout: 30 * time.Second}
	start := time.Now()
	var wg sync.WaitGroup
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(*n) || ctx.Err() != nil {
					return
				}
				body := fmt.Sprintf(`{"scope":"store/cart/created","store_id":"1","producer":"stores/%s","hash":"load-%d-%d","created_at":%d,"data":{"type":"cart","id":"%08x-0000-4000-8000-%012x"}}`,
					store, run, i, time.Now().Unix(), uint32(run), i)
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewBufferString(body))
				if err != nil {
					failures.Add(1)
					return
				}
				req.Header.Set(api.WebhookSecretHeader, secret)
				t0 := time.Now()
				resp, err := httpc.Do(req)
				if err != nil || resp.StatusCode != http.StatusOK {
					failures.Add(1)
					if resp != nil {
						_ = resp.Body.Close()
					}
					continue
				}
				_ = resp.Body.Close()
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(lat) == 0 {
		return fmt.Errorf("no webhook was accepted by %s (%d failures)", target, failures.Load())
	}
	slices.Sort(lat)
	p := func(q float64) time.Duration { return lat[int(float64(len(lat)-1)*q)].Round(100 * time.Microsecond) }
	fmt.Fprintf(env.stdout, "%d accepted, %d failed in %s: %.0f accepted/s; ack latency p50 %s p90 %s p99 %s\n",
		len(lat), failures.Load(), elapsed.Round(time.Millisecond), float64(len(lat))/elapsed.Seconds(), p(0.5), p(0.9), p(0.99))
	return nil
}
