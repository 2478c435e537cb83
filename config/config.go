// Package config holds bcflow's configuration: the process settings read
// from environment variables (Config, Load) and the merchant-facing flows
// file that says which automations each store and channel runs (Flows,
// LoadFlows).
//
// The package imports no other bcflow package so every command can use it.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Mode says which bcflow process is loading the configuration; it decides
// which variables are required.
type Mode string

// The process modes.
const (
	// ModeDev runs everything locally (embedded Temporal, emulator); no
	// secret is required.
	ModeDev Mode = "dev"
	// ModeWorker runs the Temporal worker that sends messages; it needs
	// the database, the BigCommerce API token and the Brevo key.
	ModeWorker Mode = "worker"
	// ModeAPI runs the HTTP server receiving webhooks; it needs the
	// database and the secrets used to verify callers.
	ModeAPI Mode = "api"
	// ModeSim runs the simulator; no secret is required.
	ModeSim Mode = "sim"
	// ModeTool is for one-shot commands (migrate, flows check, hooks...);
	// no secret is required.
	ModeTool Mode = "tool"
)

// Modes lists every valid Mode.
var Modes = []Mode{ModeDev, ModeWorker, ModeAPI, ModeSim, ModeTool}

// Valid reports whether m is one of Modes.
func (m Mode) Valid() bool {
	for _, v := range Modes {
		if m == v {
			return true
		}
	}
	return false
}

// requiredVars lists, per mode, the variables that must be non-empty.
// Modes not listed require nothing.
var requiredVars = map[Mode][]string{
	ModeWorker: {"DATABASE_URL", "BCFLOW_BC_STORE_HASH", "BCFLOW_BC_ACCESS_TOKEN", "BCFLOW_BREVO_API_KEY"},
	ModeAPI:    {"DATABASE_URL", "BCFLOW_BC_STORE_HASH", "BCFLOW_BC_CLIENT_SECRET", "BCFLOW_WEBHOOK_SECRET", "BCFLOW_ADMIN_TOKEN"},
}

// RequiredVars returns the environment variables that must be set in mode m.
func RequiredVars(m Mode) []string { return append([]string(nil), requiredVars[m]...) }

// Config is the process configuration, read from environment variables.
// Each field's env tag names its variable, envDefault its default and desc
// its documentation, printed by Describe (and hence by the CLI and README);
// the desc tags are the single place fields are documented.
type Config struct {
	TemporalAddress   string `env:"TEMPORAL_ADDRESS" envDefault:"127.0.0.1:7233" desc:"Temporal frontend address (host:port)"`
	TemporalNamespace string `env:"TEMPORAL_NAMESPACE" envDefault:"default" desc:"Temporal namespace"`
	TaskQueue         string `env:"BCFLOW_TASK_QUEUE" envDefault:"bcflow" desc:"Temporal task queue the worker polls"`
	// RetryMaxInterval caps the wait between retries of a failing activity
	// (0: one minute for the database, ten for APIs).
	RetryMaxInterval time.Duration `env:"BCFLOW_RETRY_MAX_INTERVAL" desc:"cap on the wait between activity retries (default 1m database, 10m APIs)"`
	DatabaseURL      Secret        `env:"DATABASE_URL" desc:"postgres://user:pass@host/db or sqlite:path; dev, sim and tool default to sqlite:<BCFLOW_DATA_DIR>/bcflow.db"`
	HTTPAddr         string        `env:"BCFLOW_HTTP_ADDR" envDefault:"127.0.0.1:8080" desc:"address (host:port) the HTTP server listens on"`
	PublicURL        string        `env:"BCFLOW_PUBLIC_URL" desc:"public base URL BigCommerce and Brevo call back (webhook destination); defaults to http://<BCFLOW_HTTP_ADDR>"`
	DataDir          string        `env:"BCFLOW_DATA_DIR" envDefault:".bcflow" desc:"directory for local state (dev database, Temporal dev server files)"`
	FlowsFile        string        `env:"BCFLOW_FLOWS_FILE" desc:"path of the flows YAML file; empty uses the built-in default flows"`
	LogLevel         string        `env:"BCFLOW_LOG_LEVEL" envDefault:"info" desc:"log level: debug, info, warn or error"`

	BigCommerce BigCommerceConfig `envPrefix:"BCFLOW_BC_"`

	WebhookSecret Secret `env:"BCFLOW_WEBHOOK_SECRET" desc:"shared secret BigCommerce webhooks must present (set as a header when registering hooks)"`

	Brevo BrevoConfig `envPrefix:"BCFLOW_BREVO_"`

	AdminToken Secret `env:"BCFLOW_ADMIN_TOKEN" desc:"bearer token protecting the admin API"`

	Sender SenderConfig `envPrefix:"BCFLOW_SENDER_"`

	Dev DevConfig `envPrefix:"BCFLOW_DEV_"`
}

// BigCommerceConfig holds the BigCommerce store API settings
// (variables prefixed BCFLOW_BC_).
type BigCommerceConfig struct {
	StoreHash string `env:"STORE_HASH" desc:"BigCommerce store hash (the abc123 in stores/abc123)"`
	// StoreID is the store's numeric id: a webhook whose store_id is
	// another is refused (400). Empty: not checked.
	StoreID      string `env:"STORE_ID" desc:"BigCommerce numeric store id; webhooks whose store_id differs are refused (400)"`
	AccessToken  Secret `env:"ACCESS_TOKEN" desc:"BigCommerce API account access token (X-Auth-Token)"`
	ClientSecret Secret `env:"CLIENT_SECRET" desc:"BigCommerce app client secret, used to verify signed payloads"`
	APIBaseURL   string `env:"API_BASE_URL" envDefault:"https://api.bigcommerce.com" desc:"BigCommerce API base URL (point it at the emulator in dev)"`
	// ReserveShare is the share of each rate-limit window bcflow leaves to
	// the store's other apps.
	ReserveShare float64 `env:"RESERVE_SHARE" envDefault:"0.2" desc:"share of the store's API quota left to other apps (0 to 0.9)"`
	// SyncConcurrency is how many chunks of list pages a store sync runs
	// at once (the quota paces them).
	SyncConcurrency int `env:"SYNC_CONCURRENCY" envDefault:"8" desc:"list pages a store sync fetches at once (1 to 64); the quota paces them"`
}

// BrevoConfig holds the Brevo (ex-Sendinblue) settings
// (variables prefixed BCFLOW_BREVO_).
type BrevoConfig struct {
	APIKey        Secret `env:"API_KEY" desc:"Brevo API key"`
	BaseURL       string `env:"BASE_URL" envDefault:"https://api.brevo.com/v3" desc:"Brevo API base URL"`
	WebhookSecret Secret `env:"WEBHOOK_SECRET" desc:"secret Brevo webhooks must present"`
}

// SenderConfig says who messages come from (variables prefixed
// BCFLOW_SENDER_).
type SenderConfig struct {
	Email    string `env:"EMAIL" envDefault:"shop@example.com" desc:"From address of emails (a sender verified in Brevo)"`
	Name     string `env:"NAME" envDefault:"Your Store" desc:"From name of emails and the StoreName template parameter"`
	SMS      string `env:"SMS" envDefault:"YourStore" desc:"SMS sender name (at most 11 letters or digits)"`
	WhatsApp string `env:"WHATSAPP" desc:"the business's WhatsApp number (E.164) for WhatsApp steps"`
}

// DevConfig holds the settings of the local development stack
// (variables prefixed BCFLOW_DEV_).
type DevConfig struct {
	TemporalPort int    `env:"TEMPORAL_PORT" envDefault:"7233" desc:"port of the embedded Temporal dev server"`
	UIPort       int    `env:"UI_PORT" envDefault:"8233" desc:"port of the embedded Temporal web UI"`
	EmulatorAddr string `env:"EMULATOR_ADDR" envDefault:"127.0.0.1:8090" desc:"address (host:port) of the BigCommerce/Brevo emulator"`
}

// Load reads the configuration for mode from the process environment.
func Load(mode Mode) (*Config, error) {
	environ := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			environ[k] = v
		}
	}
	return LoadFrom(mode, environ)
}

// LoadFrom reads the configuration for mode from environ (variable name to
// value) instead of the process environment; a nil map means an empty
// environment. Empty values count as unset. All problems are reported
// together, one line each, naming the variables involved; secret values never
// appear in the error.
func LoadFrom(mode Mode, environ map[string]string) (*Config, error) {
	if !mode.Valid() {
		return nil, fmt.Errorf("config: unknown mode %q (want %s)", mode, joinModes())
	}
	if environ == nil {
		// env falls back to os.Environ for a nil map; LoadFrom must not.
		environ = map[string]string{}
	}

	// Check numbers ourselves so the error names the variable rather than
	// the Go field, and to keep env's error format out of our messages.
	var problems []string
	for _, f := range configFields() {
		if f.kind != reflect.Int {
			continue
		}
		if v := environ[f.key]; v != "" {
			if _, err := strconv.Atoi(v); err != nil {
				problems = append(problems, fmt.Sprintf("%s must be a whole number, got %q", f.key, v))
			}
		}
	}
	if len(problems) > 0 {
		return nil, joinProblems(problems)
	}

	cfg := &Config{}
	if err := env.ParseWithOptions(cfg, env.Options{Environment: environ}); err != nil {
		// Unreachable with the field types above; never echo values.
		return nil, errors.New("config: cannot parse environment")
	}
	cfg.applyDefaults(mode)
	if err := cfg.validate(mode); err != nil {
		return nil, err
	}
	return cfg, nil
}

// applyDefaults fills the defaults that depend on other settings or on mode.
func (c *Config) applyDefaults(mode Mode) {
	c.LogLevel = strings.ToLower(strings.TrimSpace(c.LogLevel))
	if c.DatabaseURL == "" && (mode == ModeDev || mode == ModeSim || mode == ModeTool) {
		c.DatabaseURL = Secret("sqlite:" + filepath.Join(c.DataDir, "bcflow.db"))
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + publicHost(c.HTTPAddr)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
}

// publicHost turns a listen address into one a client can call: an empty or
// wildcard host becomes localhost.
func publicHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr // reported by validate
	}
	switch host {
	case "", "0.0.0.0", "::", "[::]":
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

var storeHashRE = regexp.MustCompile(`^[a-z0-9]+$`)

// validate checks every setting and returns all problems at once.
func (c *Config) validate(mode Mode) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	var missing []string
	for _, key := range requiredVars[mode] {
		if v, ok := c.lookup(key); ok && v.IsZero() {
			missing = append(missing, key)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		add("%s is required in %s mode", missing[0], mode)
	default:
		add("%s are required in %s mode", strings.Join(missing, ", "), mode)
	}

	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add("BCFLOW_LOG_LEVEL must be one of debug, info, warn, error; got %q", c.LogLevel)
	}

	if c.DatabaseURL != "" {
		if msg := checkDatabaseURL(c.DatabaseURL.Reveal()); msg != "" {
			add("DATABASE_URL %s (value not shown: it may hold a password)", msg)
		}
	}

	if c.BigCommerce.ReserveShare < 0 || c.BigCommerce.ReserveShare > 0.9 {
		add("BCFLOW_BC_RESERVE_SHARE must be between 0 and 0.9, got %v", c.BigCommerce.ReserveShare)
	}
	if c.BigCommerce.SyncConcurrency < 1 || c.BigCommerce.SyncConcurrency > 64 {
		add("BCFLOW_BC_SYNC_CONCURRENCY must be between 1 and 64, got %d", c.BigCommerce.SyncConcurrency)
	}

	for _, u := range []struct{ key, val string }{
		{"BCFLOW_PUBLIC_URL", c.PublicURL},
		{"BCFLOW_BC_API_BASE_URL", c.BigCommerce.APIBaseURL},
		{"BCFLOW_BREVO_BASE_URL", c.Brevo.BaseURL},
	} {
		if !isHTTPURL(u.val) {
			add("%s must be an absolute http(s) URL, got %q", u.key, u.val)
		}
	}

	for _, a := range []struct{ key, val string }{
		{"BCFLOW_HTTP_ADDR", c.HTTPAddr},
		{"TEMPORAL_ADDRESS", c.TemporalAddress},
		{"BCFLOW_DEV_EMULATOR_ADDR", c.Dev.EmulatorAddr},
	} {
		if !isHostPort(a.val) {
			add("%s must be host:port with a port between 1 and 65535, got %q", a.key, a.val)
		}
	}

	for _, p := range []struct {
		key string
		val int
	}{
		{"BCFLOW_DEV_TEMPORAL_PORT", c.Dev.TemporalPort},
		{"BCFLOW_DEV_UI_PORT", c.Dev.UIPort},
	} {
		if p.val < 1 || p.val > 65535 {
			add("%s must be between 1 and 65535, got %d", p.key, p.val)
		}
	}
	if c.Dev.TemporalPort == c.Dev.UIPort {
		add("BCFLOW_DEV_TEMPORAL_PORT and BCFLOW_DEV_UI_PORT must differ, both are %d", c.Dev.UIPort)
	}

	if c.BigCommerce.StoreHash != "" && !storeHashRE.MatchString(c.BigCommerce.StoreHash) {
		add("BCFLOW_BC_STORE_HASH must be the lowercase letters and digits after stores/ in the API path, got %q", c.BigCommerce.StoreHash)
	}
	if id := c.BigCommerce.StoreID; id != "" {
		if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 || strconv.FormatInt(n, 10) != id {
			add("BCFLOW_BC_STORE_ID must be the store's numeric id (a positive integer), got %q", id)
		}
	}
	if strings.TrimSpace(c.DataDir) == "" {
		add("BCFLOW_DATA_DIR must not be blank")
	}
	if strings.TrimSpace(c.TemporalNamespace) == "" {
		add("TEMPORAL_NAMESPACE must not be blank")
	}
	if strings.TrimSpace(c.TaskQueue) == "" {
		add("BCFLOW_TASK_QUEUE must not be blank")
	}
	return joinProblems(problems)
}

// checkDatabaseURL returns why s is not an accepted database URL, or "". The
// message never quotes s.
func checkDatabaseURL(s string) string {
	scheme, rest, ok := strings.Cut(s, ":")
	switch strings.ToLower(scheme) {
	case "sqlite":
		rest = strings.TrimPrefix(rest, "//")
		if !ok || rest == "" {
			return "must name a file: sqlite:path/to/bcflow.db"
		}
		return ""
	case "postgres", "postgresql":
		u, err := url.Parse(s)
		if err != nil || !strings.HasPrefix(rest, "//") {
			return "is not a valid postgres:// URL"
		}
		if u.Host == "" && u.Query().Get("host") == "" {
			return "must name a host: postgres://user:password@host:5432/dbname"
		}
		return ""
	default:
		return "must start with postgres://, postgresql:// or sqlite:"
	}
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func isHostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

func joinModes() string {
	s := make([]string, len(Modes))
	for i, m := range Modes {
		s[i] = string(m)
	}
	return strings.Join(s, ", ")
}

// joinProblems turns problem lines into one error, one "config: " line each.
func joinProblems(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = errors.New("config: " + p)
	}
	return errors.Join(errs...)
}

// SlogLevel returns LogLevel as a slog.Level (info if unrecognised).
func (c *Config) SlogLevel() slog.Level {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// Flows loads the flows file named by FlowsFile, or returns DefaultFlows when
// it is empty.
func (c *Config) Flows() (*Flows, error) {
	if c.FlowsFile == "" {
		return DefaultFlows(), nil
	}
	return LoadFlows(c.FlowsFile)
}

// LogValue implements slog.LogValuer: a group of VARIABLE=value attributes
// with secrets redacted.
func (c *Config) LogValue() slog.Value {
	settings := c.Describe()
	attrs := make([]slog.Attr, len(settings))
	for i, s := range settings {
		attrs[i] = slog.String(s.Name, s.Value)
	}
	return slog.GroupValue(attrs...)
}

// Setting describes one environment variable: its name, current value (secrets
// redacted), default and description.
type Setting struct {
	Name        string // environment variable, e.g. BCFLOW_HTTP_ADDR
	Value       string // current value; "[redacted]" for a set secret
	Default     string // envDefault, "" if none (see Description for computed defaults)
	Secret      bool   // the value is a Secret
	Description string // from the desc struct tag
}

// Describe lists every setting, in declaration order, derived from Config's
// struct tags so the list cannot drift from what Load reads. It is safe on a
// nil *Config (values are then empty), which is how the README table is made.
func (c *Config) Describe() []Setting {
	var v reflect.Value
	if c != nil {
		v = reflect.ValueOf(c).Elem()
	}
	fields := configFields()
	out := make([]Setting, 0, len(fields))
	for _, f := range fields {
		s := Setting{Name: f.key, Default: f.def, Secret: f.secret, Description: f.desc}
		if v.IsValid() {
			fv := v.FieldByIndex(f.index)
			if sec, ok := fv.Interface().(Secret); ok {
				s.Value = sec.String()
			} else {
				s.Value = fmt.Sprint(fv.Interface())
			}
		}
		out = append(out, s)
	}
	return out
}

// lookup returns the field read from the variable key.
func (c *Config) lookup(key string) (reflect.Value, bool) {
	for _, f := range configFields() {
		if f.key == key {
			return reflect.ValueOf(c).Elem().FieldByIndex(f.index), true
		}
	}
	return reflect.Value{}, false
}

type fieldInfo struct {
	key, def, desc string
	secret         bool
	kind           reflect.Kind
	index          []int
}

// configFields walks Config's tags the way caarlos0/env does.
func configFields() []fieldInfo {
	var out []fieldInfo
	var walk func(t reflect.Type, prefix string, index []int)
	walk = func(t reflect.Type, prefix string, index []int) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			idx := append(append([]int(nil), index...), i)
			if sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, prefix+sf.Tag.Get("envPrefix"), idx)
				continue
			}
			key, _, _ := strings.Cut(sf.Tag.Get("env"), ",")
			if key == "" {
				continue
			}
			out = append(out, fieldInfo{
				key:    prefix + key,
				def:    sf.Tag.Get("envDefault"),
				desc:   sf.Tag.Get("desc"),
				secret: sf.Type == reflect.TypeFor[Secret](),
				kind:   sf.Type.Kind(),
				index:  idx,
			})
		}
	}
	walk(reflect.TypeFor[Config](), "", nil)
	return out
}
