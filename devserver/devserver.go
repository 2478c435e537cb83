// Package devserver runs a complete Temporal service inside the current
// process for `bcflow dev`: the server itself on a persistent SQLite file
// (WAL journal) and, optionally, the Temporal Web UI.
//
// It imports nothing of bcflow. Production deployments run Temporal on its
// own and never use this package.
package devserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// Options configure an embedded Temporal server.
type Options struct {
	// DatabaseFile is the SQLite file holding all Temporal state. It is
	// created (with its schema) on first start and reused afterwards, so
	// workflows that were sleeping resume after a restart.
	DatabaseFile string
	// IP is the address every service binds to; default 127.0.0.1.
	IP string
	// FrontendPort is the gRPC port clients and workers dial; default 7233.
	FrontendPort int
	// UIPort is the Temporal Web UI's HTTP port; 0 disables the UI.
	UIPort int
	// Namespace is registered at start; default "default".
	Namespace string
	// SearchAttributes are registered on Namespace at start (idempotent).
	SearchAttributes map[string]enumspb.IndexedValueType
	// LogLevel of the server's own logger: debug, info, warn (default) or error.
	LogLevel string
	// LogFile receives the server's log; empty means standard error.
	LogFile string
}

// Server is a running embedded Temporal server.
type Server struct {
	opts     Options
	server   temporal.Server
	ui       *uiServer
	hostPort string
}

// Start creates the data directory and database if needed, starts Temporal
// and the UI, and registers the namespace's search attributes. It returns
// once the frontend accepts clients.
func Start(ctx context.Context, opts Options) (*Server, error) {
	applyDefaults(&opts)
	if opts.DatabaseFile == "" {
		return nil, errors.New("devserver: DatabaseFile is required")
	}
	if err := os.MkdirAll(filepath.Dir(opts.DatabaseFile), 0o755); err != nil {
		return nil, fmt.Errorf("devserver: create data directory: %w", err)
	}
	ports, err := freePorts(opts.IP, 7)
	if err != nil {
		return nil, err
	}
	if err := checkPortFree(opts.IP, opts.FrontendPort); err != nil {
		return nil, err
	}
	if opts.UIPort != 0 {
		if err := checkPortFree(opts.IP, opts.UIPort); err != nil {
			return nil, err
		}
	}

	logger, err := newLogger(opts)
	if err != nil {
		return nil, err
	}
	cfg := serverConfig(opts, ports)
	sqlCfg := cfg.Persistence.DataStores[sqliteplugin.PluginName].SQL

	nsCfg, err := sqlite.NewNamespaceConfig(cfg.ClusterMetadata.CurrentClusterName, opts.Namespace, false, nil)
	if err != nil {
		return nil, fmt.Errorf("devserver: namespace config: %w", err)
	}
	if _, statErr := os.Stat(opts.DatabaseFile); errors.Is(statErr, os.ErrNotExist) {
		if err := sqlite.SetupSchema(sqlCfg); err != nil {
			return nil, fmt.Errorf("devserver: create Temporal schema in %s: %w", opts.DatabaseFile, err)
		}
	}
	if err := sqlite.CreateNamespaces(sqlCfg, nsCfg); err != nil {
		return nil, fmt.Errorf("devserver: create namespace %q: %w", opts.Namespace, err)
	}
	if err := forgetStaleMembers(opts.DatabaseFile); err != nil {
		return nil, err
	}

	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("devserver: authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("devserver: claim mapper: %w", err)
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): []dynamicconfig.ConstrainedValue{{Value: true}},
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: create Temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("devserver: start Temporal server: %w", err)
	}
	s := &Server{opts: opts, server: srv, hostPort: net.JoinHostPort(opts.IP, strconv.Itoa(opts.FrontendPort))}

	if err := s.registerSearchAttributes(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	if opts.UIPort != 0 {
		s.ui = startUI(opts.IP, opts.UIPort, s.hostPort, opts.Namespace)
		if err := waitHTTP(ctx, s.UIURL()+"/healthz"); err != nil {
			_ = s.Stop()
			return nil, fmt.Errorf("devserver: Temporal UI did not come up: %w", err)
		}
	}
	return s, nil
}

// HostPort is the frontend's gRPC address, for client.Options.HostPort.
func (s *Server) HostPort() string { return s.hostPort }

// Namespace is the namespace registered at start.
func (s *Server) Namespace() string { return s.opts.Namespace }

// UIURL is the Temporal Web UI's base URL, or "" when the UI is disabled.
func (s *Server) UIURL() string {
	if s.ui == nil {
		return ""
	}
	return "http://" + net.JoinHostPort(s.opts.IP, strconv.Itoa(s.opts.UIPort))
}

// Stop shuts down the UI and the server; the database file stays.
func (s *Server) Stop() error {
	if s.ui != nil {
		s.ui.stop()
	}
	if err := s.server.Stop(); err != nil {
		return fmt.Errorf("devserver: stop Temporal server: %w", err)
	}
	return nil
}

func applyDefaults(o *Options) {
	if o.IP == "" {
		o.IP = "127.0.0.1"
	}
	if o.FrontendPort == 0 {
		o.FrontendPort = 7233
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.LogLevel == "" {
		o.LogLevel = "warn"
	}
}

func newLogger(o Options) (log.Logger, error) {
	zc := log.Config{Level: o.LogLevel, Stdout: false}
	if o.LogFile != "" {
		if err := os.MkdirAll(filepath.Dir(o.LogFile), 0o755); err != nil {
			return nil, fmt.Errorf("devserver: create log directory: %w", err)
		}
		zc.OutputFile = o.LogFile
	}
	return log.NewZapLogger(log.BuildZapLogger(zc)), nil
}

// serverConfig builds the static configuration of a single-process server:
// all four services on loopback, one history shard, SQLite for both
// persistence and visibility.
func serverConfig(o Options, ports []int) *config.Config {
	sqlCfg := config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: o.DatabaseFile,
		ConnectAttributes: map[string]string{
			"mode": "rwc",
			// WAL: without it starts fall from ~200/s to ~30/s on a 2-core machine.
			"journal_mode": "wal",
			"synchronous":  "normal",
			"busy_timeout": "10000",
		},
	}
	frontend := net.JoinHostPort(o.IP, strconv.Itoa(o.FrontendPort))
	service := func(grpcPort, membershipPort int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: grpcPort, MembershipPort: membershipPort, BindOnIP: o.IP}}
	}
	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: o.IP},
			PProf:      config.PProf{Port: 0},
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: &sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": service(o.FrontendPort, ports[0]),
			"history":  service(ports[1], ports[2]),
			"matching": service(ports[3], ports[4]),
			"worker":   service(ports[5], ports[6]),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{
			Archival: config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
			},
		},
		PublicClient: config.PublicClient{HostPort: frontend},
	}
}

// registerSearchAttributes adds the configured custom search attributes the
// namespace does not have yet. SQL visibility allows a fixed number per type
// (10 Keyword), so the caller chooses them with care.
func (s *Server) registerSearchAttributes(ctx context.Context) error {
	if len(s.opts.SearchAttributes) == 0 {
		return nil
	}
	c, err := dialWithRetry(ctx, client.Options{HostPort: s.hostPort, Namespace: s.opts.Namespace, Logger: quietLogger{}})
	if err != nil {
		return fmt.Errorf("devserver: connect to embedded server: %w", err)
	}
	defer c.Close()
	return EnsureSearchAttributes(ctx, c, s.opts.Namespace, s.opts.SearchAttributes)
}

// EnsureSearchAttributes registers the given custom search attributes on a
// namespace, skipping those that already exist with the same type. It works
// against any Temporal server, embedded or not.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string, want map[string]enumspb.IndexedValueType) error {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes of %q: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range want {
		have, ok := resp.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = typ
		case have != typ:
			return fmt.Errorf("search attribute %s exists as %s, bcflow needs %s", name, have, typ)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	if err != nil {
		return fmt.Errorf("add search attributes to %q: %w", namespace, err)
	}
	return nil
}

func dialWithRetry(ctx context.Context, opts client.Options) (client.Client, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// forgetStaleMembers clears the cluster membership a previous run left in
// the database. Each run binds its internal services to fresh ports; the
// old rows (valid for two days) would otherwise send ringpop after hosts
// that no longer exist, and the new run would answer "Not enough hosts to
// serve the request" until they expire. The frontend port check above has
// made sure no other server is using this file.
func forgetStaleMembers(dbFile string) error {
	db, err := sql.Open("sqlite", "file:"+dbFile+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("devserver: open %s: %w", dbFile, err)
	}
	defer db.Close()
	if _, err := db.Exec("DELETE FROM cluster_membership"); err != nil {
		return fmt.Errorf("devserver: clear stale cluster membership in %s: %w", dbFile, err)
	}
	return nil
}

func freePorts(ip string, n int) ([]int, error) {
	ports := make([]int, 0, n)
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return nil, fmt.Errorf("devserver: find a free port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func checkPortFree(ip string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("devserver: port %d on %s is not free (is another bcflow dev or Temporal running?): %w", port, ip, err)
	}
	return l.Close()
}
