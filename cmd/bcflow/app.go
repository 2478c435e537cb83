package main

import (
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/emulator"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/hooks"
	"github.com/bcflow/bcflow/messaging/brevo"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/worker"
)

// webhookPath is where BigCommerce delivers.
const webhookPath = "/webhooks/bigcommerce"

// bigCommerceClients builds the API client of each configured store.
func bigCommerceClients(cfg *config.Config, logger *slog.Logger) (map[string]*bigcommerce.Client, error) {
	out := map[string]*bigcommerce.Client{}
	if cfg.BigCommerce.StoreHash == "" {
		return out, nil
	}
	share := cfg.BigCommerce.ReserveShare
	if share == 0 {
		share = bigcommerce.ReserveNone // 0 in the environment means no reserve
	}
	bc, err := bigcommerce.New(bigcommerce.Options{
		BaseURL: cfg.BigCommerce.APIBaseURL, StoreHash: cfg.BigCommerce.StoreHash,
		AccessToken: cfg.BigCommerce.AccessToken.Reveal(), Logger: logger.With("component", "bigcommerce"),
		ReserveShare: share,
	})
	if err != nil {
		return nil, usagef("BigCommerce client: %v", err)
	}
	out[cfg.BigCommerce.StoreHash] = bc
	return out, nil
}

// hookSpec is the webhook subscription bcflow needs on every store.
func hookSpec(cfg *config.Config) hooks.Spec {
	var scopes []string
	for _, r := range starter.Routes() {
		scopes = append(scopes, r.Scope)
	}
	return hooks.Spec{
		Destination: strings.TrimRight(cfg.PublicURL, "/") + webhookPath,
		Scopes:      scopes,
		Headers:     map[string]string{api.WebhookSecretHeader: cfg.WebhookSecret.Reveal()},
	}
}

// newActivities wires the worker's activities to their clients.
func newActivities(cfg *config.Config, st *store.Store, flows *config.Flows, logger *slog.Logger) (*activities.Activities, error) {
	bcs, err := bigCommerceClients(cfg, logger)
	if err != nil {
		return nil, err
	}
	provider, err := brevo.New(brevo.Options{BaseURL: cfg.Brevo.BaseURL, APIKey: cfg.Brevo.APIKey.Reveal(), Logger: logger.With("component", "brevo")})
	if err != nil {
		return nil, usagef("Brevo client: %v", err)
	}
	acts := &activities.Activities{
		Store: st, Flows: flows, BigCommerce: bcs, Messaging: provider,
		Sender: activities.Sender{Email: cfg.Sender.Email, Name: cfg.Sender.Name, SMSSender: cfg.Sender.SMS, WhatsApp: cfg.Sender.WhatsApp},
		Hooks:  hookSpec(cfg),
	}
	acts.Sync = activities.NewSyncer(acts, cfg.BigCommerce.SyncConcurrency)
	worker.EnableSegments(acts, logger.With("component", "segments"))
	return acts, nil
}

// mountAPI adds the webhook receivers, the admin API with the dashboard's
// figures (api.Admin also serves the dashboard at /app/ and its session),
// and, when reg is not nil, the business metrics: webhooks by scope and
// outcome, and the store's figures (api.StoreMetrics).
func mountAPI(srv *api.Server, cfg *config.Config, flows *config.Flows, st *store.Store, c client.Client, logger *slog.Logger, reg prometheus.Registerer) error {
	stores := map[string]api.StoreAuth{}
	if cfg.BigCommerce.StoreHash != "" {
		stores[cfg.BigCommerce.StoreHash] = api.StoreAuth{ClientSecret: []byte(cfg.BigCommerce.ClientSecret.Reveal()), StoreID: cfg.BigCommerce.StoreID}
	}
	dispatcher := starter.New(c, cfg.TaskQueue)
	var webhookMetrics *api.WebhookMetrics
	if reg != nil {
		var err error
		if webhookMetrics, err = api.NewWebhookMetrics(reg); err != nil {
			return err
		}
		if err := reg.Register(api.NewStoreMetrics(api.StoreMetricsOptions{
			Source: st, Stores: storeHashes(cfg), Logger: logger.With("component", "metrics"),
		})); err != nil {
			return fmt.Errorf("register the business metrics: %w", err)
		}
	}
	srv.MountWebhooks(api.WebhookOptions{
		Secret:      []byte(cfg.WebhookSecret.Reveal()),
		Stores:      stores,
		BrevoSecret: []byte(cfg.Brevo.WebhookSecret.Reveal()),
		Deliveries:  st,
		Dispatcher:  dispatcher,
		Events:      st,
		Metrics:     webhookMetrics,
		Logger:      logger.With("component", "webhooks"),
	})
	admin := srv.Admin([]byte(cfg.AdminToken.Reveal()))
	api.MountTimeline(admin, st, storeHashes(cfg))
	api.MountRedrive(admin, dispatcher, storeHashes(cfg), logger.With("component", "redrive"))
	api.MountSync(admin, api.SyncOptions{Control: dispatcher, Runs: st, Stores: storeHashes(cfg), Logger: logger.With("component", "sync")})
	api.MountSegments(admin, segmentsOptions(dispatcher, st, flows, storeHashes(cfg), logger.With("component", "segments")))
	api.MountAnalytics(admin, api.AnalyticsOptions{Source: st, Flows: flows, Stores: storeHashes(cfg), Logger: logger.With("component", "analytics")})
	api.MountCustomers(admin, api.CustomersOptions{Store: st, Stores: storeHashes(cfg), Logger: logger.With("component", "customers")})
	bcs, err := bigCommerceClients(cfg, logger)
	if err != nil {
		return err
	}
	api.MountLoyalty(admin, api.LoyaltyOptions{
		Ledger: st, Coupons: activities.NewLoyaltyCoupons(bcs), Bonuses: dispatcher, Flows: flows, Stores: storeHashes(cfg), Logger: logger.With("component", "loyalty"),
	})
	return nil
}

// storeHashes lists the stores this process serves.
func storeHashes(cfg *config.Config) []string {
	if cfg.BigCommerce.StoreHash == "" {
		return nil
	}
	return []string{cfg.BigCommerce.StoreHash}
}

// devStore is the emulated store `bcflow dev` points bcflow at.
type devStore struct{ Hash, AccessToken, ClientSecret string }

// applyDevDefaults is what `bcflow dev` runs with: the emulator's store and
// keys and fixed dev secrets wherever the environment sets none, and the
// BigCommerce and Brevo API base URLs of the emulator at base.
// `bcflow config -mode dev` prints the same.
func applyDevDefaults(cfg *config.Config, base string, st devStore, brevoKey string) {
	if cfg.BigCommerce.StoreHash == "" {
		cfg.BigCommerce.StoreHash = st.Hash
	}
	setDefaultSecret := func(dst *config.Secret, v string) {
		if !dst.IsSet() {
			*dst = config.Secret(v)
		}
	}
	setDefaultSecret(&cfg.BigCommerce.AccessToken, st.AccessToken)
	setDefaultSecret(&cfg.BigCommerce.ClientSecret, st.ClientSecret)
	cfg.BigCommerce.APIBaseURL = base
	cfg.Brevo.BaseURL = base + "/v3"
	setDefaultSecret(&cfg.Brevo.APIKey, brevoKey)
	setDefaultSecret(&cfg.WebhookSecret, "dev-webhook-secret")
	setDefaultSecret(&cfg.Brevo.WebhookSecret, "dev-brevo-webhook-secret")
	setDefaultSecret(&cfg.AdminToken, "dev-admin-token")
}

// applyDevDefaultsUnstarted applies, without starting the emulator, what
// startEmulator would: the seeded store and Brevo key of an emulator on
// BCFLOW_DEV_EMULATOR_ADDR.
func applyDevDefaultsUnstarted(cfg *config.Config) {
	seed := bcemu.DefaultStore()
	applyDevDefaults(cfg, "http://"+devEmulatorHostPort(cfg.Dev.EmulatorAddr),
		devStore{Hash: seed.Hash, AccessToken: seed.AccessToken, ClientSecret: seed.ClientSecret}, brevoemu.DefaultAPIKey)
}

// devEmulatorHostPort is the host:port the emulator answers on when it
// listens on addr (an unspecified host answers on 127.0.0.1).
func devEmulatorHostPort(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// startEmulator runs the BigCommerce + Brevo emulator for `bcflow dev`, with
// state snapshots in the data directory, and points cfg at its first store.
func startEmulator(cfg *config.Config) (*emulator.Emulator, error) {
	emu, err := emulator.New(emulator.Options{
		BigCommerce: bcemu.Options{SnapshotPath: filepath.Join(cfg.DataDir, "emulator-bigcommerce.json")},
		Brevo:       brevoemu.Options{SnapshotPath: filepath.Join(cfg.DataDir, "emulator-brevo.json")},
	})
	if err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	base, err := emu.Start(cfg.Dev.EmulatorAddr)
	if err != nil {
		emu.Close()
		return nil, fmt.Errorf("start emulator on %s (set BCFLOW_DEV_EMULATOR_ADDR): %w", cfg.Dev.EmulatorAddr, err)
	}
	info := emu.BigCommerce().Stores()[0]
	applyDevDefaults(cfg, base, devStore{Hash: info.Hash, AccessToken: info.AccessToken, ClientSecret: info.ClientSecret}, emu.Brevo().APIKeys()[0])
	if err := emu.Brevo().SetWebhook(&brevoemu.WebhookConfig{
		URL:         strings.TrimRight(cfg.PublicURL, "/") + "/webhooks/brevo",
		BearerToken: cfg.Brevo.WebhookSecret.Reveal(),
	}); err != nil {
		emu.Close()
		return nil, fmt.Errorf("emulator: Brevo webhook: %w", err)
	}
	return emu, nil
}
