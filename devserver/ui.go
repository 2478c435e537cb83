package devserver

import (
	"context"
	"fmt"
	"net/http"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	"github.com/temporalio/ui-server/v2/server/server_options"
)

// uiServer is the Temporal Web UI, served from the assets embedded in the
// ui-server module.
type uiServer struct {
	srv *uiserver.Server
}

func startUI(ip string, port int, temporalHostPort, namespace string) *uiServer {
	cfg := &uiconfig.Config{
		Host:                ip,
		Port:                port,
		TemporalGRPCAddress: temporalHostPort,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		HideLogs:            true,
		DisableNewsFetch:    true,
		CORS:                uiconfig.CORS{CookieInsecure: true},
	}
	srv := uiserver.NewServer(server_options.WithConfigProvider(cfg))
	go func() { _ = srv.Start() }()
	return &uiServer{srv: srv}
}

func (u *uiServer) stop() { u.srv.Stop() }

// waitHTTP polls url until it answers 200 or ctx ends (at most 30 s).
func waitHTTP(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", url, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// quietLogger discards the SDK client's log lines during start-up polling.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
