package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/caarlos0/env/v11"
	"gopkg.in/yaml.v3"
)

// fullEnv satisfies every mode's required variables.
func fullEnv() map[string]string {
	return map[string]string{
		"DATABASE_URL":                "postgres://bcflow:pw-db-SENTINEL@db.internal:5432/bcflow?sslmode=require",
		"BCFLOW_BC_STORE_HASH":        "abc123",
		"BCFLOW_BC_ACCESS_TOKEN":      "tok-access-SENTINEL",
		"BCFLOW_BC_CLIENT_SECRET":     "tok-client-SENTINEL",
		"BCFLOW_WEBHOOK_SECRET":       "tok-webhook-SENTINEL",
		"BCFLOW_BREVO_API_KEY":        "tok-brevo-SENTINEL",
		"BCFLOW_BREVO_WEBHOOK_SECRET": "tok-brevohook-SENTINEL",
		"BCFLOW_ADMIN_TOKEN":          "tok-admin-SENTINEL",
	}
}

func without(m map[string]string, keys ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func with(m map[string]string, kv ...string) map[string]string {
	out := without(m)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestLoadDefaults(t *testing.T) {
	for _, mode := range []Mode{ModeDev, ModeSim, ModeTool} {
		t.Run(string(mode), func(t *testing.T) {
			cfg, err := LoadFrom(mode, map[string]string{})
			if err != nil {
				t.Fatal(err)
			}
			want := &Config{
				TemporalAddress:   "127.0.0.1:7233",
				TemporalNamespace: "default",
				TaskQueue:         "bcflow",
				DatabaseURL:       Secret("sqlite:" + filepath.Join(".bcflow", "bcflow.db")),
				HTTPAddr:          "127.0.0.1:8080",
				PublicURL:         "http://127.0.0.1:8080",
				DataDir:           ".bcflow",
				LogLevel:          "info",
				BigCommerce:       BigCommerceConfig{APIBaseURL: "https://api.bigcommerce.com", ReserveShare: 0.2, SyncConcurrency: 8},
				Brevo:             BrevoConfig{BaseURL: "https://api.brevo.com/v3"},
				Sender:            SenderConfig{Email: "shop@example.com", Name: "Your Store", SMS: "YourStore"},
				Dev:               DevConfig{TemporalPort: 7233, UIPort: 8233, EmulatorAddr: "127.0.0.1:8090"},
			}
			if !reflect.DeepEqual(cfg, want) {
				t.Errorf("defaults:\n got %+v\nwant %+v", *cfg, *want)
			}
		})
	}
}

func TestComputedDefaults(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		wantDB     string
		wantPublic string
	}{
		{"data dir moves the dev database", map[string]string{"BCFLOW_DATA_DIR": "/var/lib/bcflow"}, "sqlite:/var/lib/bcflow/bcflow.db", "http://127.0.0.1:8080"},
		{"explicit database wins", map[string]string{"DATABASE_URL": "sqlite:/tmp/x.db"}, "sqlite:/tmp/x.db", "http://127.0.0.1:8080"},
		{"public URL follows HTTP addr", map[string]string{"BCFLOW_HTTP_ADDR": "10.0.0.5:9000"}, "sqlite:.bcflow/bcflow.db", "http://10.0.0.5:9000"},
		{"wildcard listen address becomes localhost", map[string]string{"BCFLOW_HTTP_ADDR": ":9000"}, "sqlite:.bcflow/bcflow.db", "http://localhost:9000"},
		{"0.0.0.0 becomes localhost", map[string]string{"BCFLOW_HTTP_ADDR": "0.0.0.0:80"}, "sqlite:.bcflow/bcflow.db", "http://localhost:80"},
		{"explicit public URL wins, trailing slash dropped", map[string]string{"BCFLOW_PUBLIC_URL": "https://hooks.example.com/"}, "sqlite:.bcflow/bcflow.db", "https://hooks.example.com"},
		{"empty value means default", map[string]string{"BCFLOW_DATA_DIR": "", "BCFLOW_LOG_LEVEL": ""}, "sqlite:.bcflow/bcflow.db", "http://127.0.0.1:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadFrom(ModeDev, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.DatabaseURL.Reveal(); got != tt.wantDB {
				t.Errorf("DatabaseURL = %q, want %q", got, tt.wantDB)
			}
			if cfg.PublicURL != tt.wantPublic {
				t.Errorf("PublicURL = %q, want %q", cfg.PublicURL, tt.wantPublic)
			}
		})
	}
}

func TestWorkerAndAPIHaveNoDatabaseDefault(t *testing.T) {
	for _, mode := range []Mode{ModeWorker, ModeAPI} {
		_, err := LoadFrom(mode, without(fullEnv(), "DATABASE_URL"))
		if err == nil || !strings.Contains(err.Error(), "DATABASE_URL is required") {
			t.Errorf("%s without DATABASE_URL: err = %v", mode, err)
		}
	}
}

func TestEnvParsing(t *testing.T) {
	environ := map[string]string{
		"TEMPORAL_ADDRESS":            "temporal.internal:7233",
		"TEMPORAL_NAMESPACE":          "shop",
		"BCFLOW_TASK_QUEUE":           "q1",
		"DATABASE_URL":                "postgresql://u:p@db/bcflow",
		"BCFLOW_HTTP_ADDR":            "0.0.0.0:8081",
		"BCFLOW_PUBLIC_URL":           "https://bcflow.example.com",
		"BCFLOW_DATA_DIR":             "/data",
		"BCFLOW_FLOWS_FILE":           "/etc/bcflow/flows.yaml",
		"BCFLOW_LOG_LEVEL":            "DEBUG",
		"BCFLOW_BC_STORE_HASH":        "s7k2",
		"BCFLOW_BC_ACCESS_TOKEN":      "at",
		"BCFLOW_BC_CLIENT_SECRET":     "cs",
		"BCFLOW_BC_API_BASE_URL":      "http://127.0.0.1:8090",
		"BCFLOW_WEBHOOK_SECRET":       "wh",
		"BCFLOW_BREVO_API_KEY":        "bk",
		"BCFLOW_BREVO_BASE_URL":       "http://127.0.0.1:8090/brevo",
		"BCFLOW_BREVO_WEBHOOK_SECRET": "bw",
		"BCFLOW_ADMIN_TOKEN":          "adm",
		"BCFLOW_DEV_TEMPORAL_PORT":    "17233",
		"BCFLOW_DEV_UI_PORT":          "18233",
		"BCFLOW_DEV_EMULATOR_ADDR":    "localhost:18090",
	}
	cfg, err := LoadFrom(ModeAPI, environ)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		TemporalAddress:   "temporal.internal:7233",
		TemporalNamespace: "shop",
		TaskQueue:         "q1",
		DatabaseURL:       "postgresql://u:p@db/bcflow",
		HTTPAddr:          "0.0.0.0:8081",
		PublicURL:         "https://bcflow.example.com",
		DataDir:           "/data",
		FlowsFile:         "/etc/bcflow/flows.yaml",
		LogLevel:          "debug",
		BigCommerce:       BigCommerceConfig{StoreHash: "s7k2", AccessToken: "at", ClientSecret: "cs", APIBaseURL: "http://127.0.0.1:8090", ReserveShare: 0.2, SyncConcurrency: 8},
		WebhookSecret:     "wh",
		Brevo:             BrevoConfig{APIKey: "bk", BaseURL: "http://127.0.0.1:8090/brevo", WebhookSecret: "bw"},
		AdminToken:        "adm",
		Sender:            SenderConfig{Email: "shop@example.com", Name: "Your Store", SMS: "YourStore"},
		Dev:               DevConfig{TemporalPort: 17233, UIPort: 18233, EmulatorAddr: "localhost:18090"},
	}
	if !reflect.DeepEqual(cfg, want) {
		// Secrets print redacted, so compare revealed values field by field.
		for _, s := range []struct{ name, got, want string }{
			{"DatabaseURL", cfg.DatabaseURL.Reveal(), want.DatabaseURL.Reveal()},
			{"AccessToken", cfg.BigCommerce.AccessToken.Reveal(), "at"},
			{"ClientSecret", cfg.BigCommerce.ClientSecret.Reveal(), "cs"},
			{"WebhookSecret", cfg.WebhookSecret.Reveal(), "wh"},
			{"Brevo.APIKey", cfg.Brevo.APIKey.Reveal(), "bk"},
			{"Brevo.WebhookSecret", cfg.Brevo.WebhookSecret.Reveal(), "bw"},
			{"AdminToken", cfg.AdminToken.Reveal(), "adm"},
		} {
			if s.got != s.want {
				t.Errorf("%s = %q, want %q", s.name, s.got, s.want)
			}
		}
		t.Errorf("got %+v\nwant %+v", *cfg, *want)
	}
	if got := cfg.SlogLevel(); got != slog.LevelDebug {
		t.Errorf("SlogLevel = %v", got)
	}
}

func TestLoadReadsProcessEnvironment(t *testing.T) {
	t.Setenv("BCFLOW_LOG_LEVEL", "warn")
	t.Setenv("BCFLOW_TASK_QUEUE", "from-os")
	cfg, err := Load(ModeDev)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LogLevel != "warn" || cfg.TaskQueue != "from-os" {
		t.Errorf("Load ignored the environment: %+v", cfg)
	}
	// LoadFrom with a nil map must not fall back to the process environment
	// (caarlos0/env does so for a nil Environment).
	cfg, err = LoadFrom(ModeDev, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LogLevel != "info" || cfg.TaskQueue != "bcflow" {
		t.Errorf("LoadFrom(nil) read the process environment: %+v", cfg)
	}
}

func TestRequiredVariables(t *testing.T) {
	tests := []struct {
		mode    Mode
		env     map[string]string
		wantErr string
	}{
		{ModeWorker, nil, "config: DATABASE_URL, BCFLOW_BC_STORE_HASH, BCFLOW_BC_ACCESS_TOKEN, BCFLOW_BREVO_API_KEY are required in worker mode"},
		{ModeAPI, nil, "config: DATABASE_URL, BCFLOW_BC_STORE_HASH, BCFLOW_BC_CLIENT_SECRET, BCFLOW_WEBHOOK_SECRET, BCFLOW_ADMIN_TOKEN are required in api mode"},
		{ModeWorker, without(fullEnv(), "BCFLOW_BC_ACCESS_TOKEN", "BCFLOW_BREVO_API_KEY"), "config: BCFLOW_BC_ACCESS_TOKEN, BCFLOW_BREVO_API_KEY are required in worker mode"},
		{ModeWorker, with(fullEnv(), "BCFLOW_BC_ACCESS_TOKEN", ""), "config: BCFLOW_BC_ACCESS_TOKEN is required in worker mode"},
		// Worker does not need the API-only secrets, and vice versa.
		{ModeWorker, without(fullEnv(), "BCFLOW_BC_CLIENT_SECRET", "BCFLOW_WEBHOOK_SECRET", "BCFLOW_ADMIN_TOKEN"), ""},
		{ModeAPI, without(fullEnv(), "BCFLOW_BC_ACCESS_TOKEN", "BCFLOW_BREVO_API_KEY"), ""},
		{ModeDev, nil, ""},
		{ModeSim, nil, ""},
		{ModeTool, nil, ""},
	}
	// Each required variable, alone, produces its own one-line error.
	for _, mode := range []Mode{ModeWorker, ModeAPI} {
		for _, key := range RequiredVars(mode) {
			tests = append(tests, struct {
				mode    Mode
				env     map[string]string
				wantErr string
			}{mode, without(fullEnv(), key), fmt.Sprintf("config: %s is required in %s mode", key, mode)})
		}
	}
	for _, tt := range tests {
		name := string(tt.mode) + "/" + tt.wantErr
		t.Run(name, func(t *testing.T) {
			_, err := LoadFrom(tt.mode, tt.env)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("error = %q\n want %q", got, tt.wantErr)
			}
		})
	}
}

func TestRequiredVarsExist(t *testing.T) {
	known := map[string]bool{}
	for _, s := range (*Config)(nil).Describe() {
		known[s.Name] = true
	}
	for mode, keys := range requiredVars {
		for _, k := range keys {
			if !known[k] {
				t.Errorf("%s mode requires %s, which Config does not read", mode, k)
			}
		}
	}
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"log level", map[string]string{"BCFLOW_LOG_LEVEL": "verbose"}, `config: BCFLOW_LOG_LEVEL must be one of debug, info, warn, error; got "verbose"`},
		{"database scheme", map[string]string{"DATABASE_URL": "mysql://root@db/x"}, "config: DATABASE_URL must start with postgres://, postgresql:// or sqlite: (value not shown: it may hold a password)"},
		{"sqlite without path", map[string]string{"DATABASE_URL": "sqlite:"}, "config: DATABASE_URL must name a file: sqlite:path/to/bcflow.db (value not shown: it may hold a password)"},
		{"postgres without host", map[string]string{"DATABASE_URL": "postgres:///bcflow"}, "config: DATABASE_URL must name a host: postgres://user:password@host:5432/dbname (value not shown: it may hold a password)"},
		{"postgres not a URL", map[string]string{"DATABASE_URL": "postgres:bcflow"}, "config: DATABASE_URL is not a valid postgres:// URL (value not shown: it may hold a password)"},
		{"public URL", map[string]string{"BCFLOW_PUBLIC_URL": "hooks.example.com"}, `config: BCFLOW_PUBLIC_URL must be an absolute http(s) URL, got "hooks.example.com"`},
		{"BigCommerce URL", map[string]string{"BCFLOW_BC_API_BASE_URL": "ftp://api"}, `config: BCFLOW_BC_API_BASE_URL must be an absolute http(s) URL, got "ftp://api"`},
		{"Brevo URL", map[string]string{"BCFLOW_BREVO_BASE_URL": "://x"}, `config: BCFLOW_BREVO_BASE_URL must be an absolute http(s) URL, got "://x"`},
		{"HTTP addr without port", map[string]string{"BCFLOW_HTTP_ADDR": "8080", "BCFLOW_PUBLIC_URL": "http://x"}, `config: BCFLOW_HTTP_ADDR must be host:port with a port between 1 and 65535, got "8080"`},
		{"HTTP addr port range", map[string]string{"BCFLOW_HTTP_ADDR": "127.0.0.1:99999"}, `config: BCFLOW_HTTP_ADDR must be host:port with a port between 1 and 65535, got "127.0.0.1:99999"`},
		{"temporal address", map[string]string{"TEMPORAL_ADDRESS": "temporal"}, `config: TEMPORAL_ADDRESS must be host:port with a port between 1 and 65535, got "temporal"`},
		{"emulator address", map[string]string{"BCFLOW_DEV_EMULATOR_ADDR": "x:y"}, `config: BCFLOW_DEV_EMULATOR_ADDR must be host:port with a port between 1 and 65535, got "x:y"`},
		{"port not a number", map[string]string{"BCFLOW_DEV_UI_PORT": "eighty"}, `config: BCFLOW_DEV_UI_PORT must be a whole number, got "eighty"`},
		{"port zero", map[string]string{"BCFLOW_DEV_TEMPORAL_PORT": "0"}, "config: BCFLOW_DEV_TEMPORAL_PORT must be between 1 and 65535, got 0"},
		{"port too big", map[string]string{"BCFLOW_DEV_UI_PORT": "65536"}, "config: BCFLOW_DEV_UI_PORT must be between 1 and 65535, got 65536"},
		{"ports collide", map[string]string{"BCFLOW_DEV_UI_PORT": "7233"}, "config: BCFLOW_DEV_TEMPORAL_PORT and BCFLOW_DEV_UI_PORT must differ, both are 7233"},
		{"store hash", map[string]string{"BCFLOW_BC_STORE_HASH": "stores/ABC"}, `config: BCFLOW_BC_STORE_HASH must be the lowercase letters and digits after stores/ in the API path, got "stores/ABC"`},
		{"store id", map[string]string{"BCFLOW_BC_STORE_ID": "0012"}, `config: BCFLOW_BC_STORE_ID must be the store's numeric id (a positive integer), got "0012"`},
		{"blank data dir", map[string]string{"BCFLOW_DATA_DIR": "  "}, "config: BCFLOW_DATA_DIR must not be blank"},
		{"several problems, one line each", map[string]string{"BCFLOW_LOG_LEVEL": "x", "BCFLOW_DEV_UI_PORT": "0"},
			"config: BCFLOW_LOG_LEVEL must be one of debug, info, warn, error; got \"x\"\nconfig: BCFLOW_DEV_UI_PORT must be between 1 and 65535, got 0"},
		{"valid postgres", map[string]string{"DATABASE_URL": "postgres://u:p@localhost:5432/bcflow?sslmode=disable"}, ""},
		{"valid postgres socket", map[string]string{"DATABASE_URL": "postgresql:///bcflow?host=/var/run/postgresql"}, ""},
		{"valid sqlite URL form", map[string]string{"DATABASE_URL": "sqlite://data/bcflow.db"}, ""},
		{"log level is case-insensitive", map[string]string{"BCFLOW_LOG_LEVEL": "WARN"}, ""},
		{"IPv6 listen address", map[string]string{"BCFLOW_HTTP_ADDR": "[::1]:8080"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadFrom(ModeDev, tt.env)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("error = %q\n want %q", got, tt.wantErr)
			}
		})
	}
}

func TestUnknownMode(t *testing.T) {
	_, err := LoadFrom("prod", nil)
	want := `config: unknown mode "prod" (want dev, worker, api, sim, tool)`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// sentinels returns the secret values of fullEnv.
func sentinels() []string {
	var out []string
	for _, v := range fullEnv() {
		if strings.Contains(v, "SENTINEL") {
			out = append(out, v, "pw-db-SENTINEL")
		}
	}
	return out
}

func assertNoSecret(t *testing.T, what, out string) {
	t.Helper()
	if strings.Contains(out, "SENTINEL") {
		t.Errorf("%s leaks a secret: %s", what, out)
	}
	for _, s := range sentinels() {
		if strings.Contains(out, s) {
			t.Errorf("%s leaks %q", what, s)
		}
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	cfg, err := LoadFrom(ModeWorker, fullEnv())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BigCommerce.AccessToken.Reveal() != "tok-access-SENTINEL" {
		t.Fatal("Reveal must return the value")
	}

	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10.3s", "%d"} {
		outputs["fmt "+verb+" value"] = fmt.Sprintf(verb, *cfg)
		outputs["fmt "+verb+" pointer"] = fmt.Sprintf(verb, cfg)
		outputs["fmt "+verb+" secret"] = fmt.Sprintf(verb, cfg.AdminToken)
		outputs["fmt "+verb+" nested"] = fmt.Sprintf(verb, cfg.Brevo)
	}
	outputs["fmt Sprint"] = fmt.Sprint(cfg, *cfg, cfg.DatabaseURL)
	outputs["fmt Println"] = fmt.Sprintln(cfg.BigCommerce, []Secret{cfg.AdminToken}, map[string]Secret{"k": cfg.AdminToken})

	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(j)
	if !strings.Contains(string(j), `"AdminToken":"[redacted]"`) {
		t.Errorf("json should show redacted secrets: %s", j)
	}
	y, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs["yaml"] = string(y)

	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"slog json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := slog.New(h(&buf))
		log.Info("config", "cfg", cfg, "value", *cfg, "token", cfg.AdminToken, "brevo", cfg.Brevo)
		log.Info("attrs", slog.Any("db", cfg.DatabaseURL), slog.Group("g", "k", cfg.WebhookSecret))
		outputs[name] = buf.String()
		if !strings.Contains(buf.String(), redacted) {
			t.Errorf("%s: expected redacted values in %s", name, buf.String())
		}
		if !strings.Contains(buf.String(), "BCFLOW_ADMIN_TOKEN") {
			t.Errorf("%s: *Config should log as VARIABLE=value: %s", name, buf.String())
		}
	}

	var describe strings.Builder
	for _, s := range cfg.Describe() {
		fmt.Fprintln(&describe, s)
	}
	outputs["Describe"] = describe.String()

	for what, out := range outputs {
		assertNoSecret(t, what, out)
	}
}

func TestSecretsNeverLeakInErrors(t *testing.T) {
	environ := with(fullEnv(), "DATABASE_URL", "mysql://root:pw-db-SENTINEL@db/x", "BCFLOW_LOG_LEVEL", "loud")
	for _, mode := range Modes {
		_, err := LoadFrom(mode, environ)
		if err == nil {
			t.Fatalf("%s: expected an error", mode)
		}
		assertNoSecret(t, string(mode)+" error", err.Error())
		if !strings.Contains(err.Error(), "DATABASE_URL must start with") {
			t.Errorf("%s: error should still explain DATABASE_URL: %v", mode, err)
		}
	}
	// A malformed postgres URL: url.Parse errors quote the input, ours must not.
	_, err := LoadFrom(ModeDev, map[string]string{"DATABASE_URL": "postgres://u:pw-db-SENTINEL@host:bad port/db"})
	if err == nil {
		t.Fatal("expected an error")
	}
	assertNoSecret(t, "bad postgres URL error", err.Error())
}

func TestSecretFormatting(t *testing.T) {
	set, empty := Secret("hunter2"), Secret("")
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"String", set.String(), "[redacted]"},
		{"GoString", set.GoString(), "[redacted]"},
		{"%v", fmt.Sprintf("%v", set), "[redacted]"},
		{"%#v", fmt.Sprintf("%#v", set), "[redacted]"},
		{"%q", fmt.Sprintf("%q", set), `"[redacted]"`},
		{"%-12s|", fmt.Sprintf("%-12s|", set), "[redacted]  |"},
		{"empty String", empty.String(), ""},
		{"empty %v", fmt.Sprintf("%v", empty), ""},
		{"empty %#v", fmt.Sprintf("%#v", empty), ""},
		{"Reveal", set.Reveal(), "hunter2"},
		{"empty Reveal", empty.Reveal(), ""},
		{"IsSet", fmt.Sprint(set.IsSet(), empty.IsSet()), "true false"},
	}
	j, _ := json.Marshal(map[string]Secret{"a": set, "b": empty})
	tests = append(tests, struct{ name, got, want string }{"json", string(j), `{"a":"[redacted]","b":""}`})
	txt, _ := set.MarshalText()
	tests = append(tests, struct{ name, got, want string }{"MarshalText", string(txt), "[redacted]"})
	tests = append(tests, struct{ name, got, want string }{"LogValue", set.LogValue().String(), "[redacted]"})
	tests = append(tests, struct{ name, got, want string }{"empty LogValue", empty.LogValue().String(), ""})
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	cfg, err := LoadFrom(ModeWorker, fullEnv())
	if err != nil {
		t.Fatal(err)
	}
	settings := cfg.Describe()

	// The names are exactly the variables caarlos0/env reads.
	params, err := env.GetFieldParams(&Config{})
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, p := range params {
		want = append(want, p.Key)
	}
	byName := map[string]Setting{}
	for _, s := range settings {
		got = append(got, s.Name)
		byName[s.Name] = s
		if s.Description == "" {
			t.Errorf("%s has no desc tag", s.Name)
		}
	}
	sort.Strings(want)
	sorted := append([]string(nil), got...)
	sort.Strings(sorted)
	if !reflect.DeepEqual(sorted, want) {
		t.Errorf("Describe names = %v\nenv reads     %v", sorted, want)
	}
	if got[0] != "TEMPORAL_ADDRESS" || got[len(got)-1] != "BCFLOW_DEV_EMULATOR_ADDR" {
		t.Errorf("Describe should follow declaration order, got %v", got)
	}

	checks := []struct {
		name, value, def string
		secret           bool
	}{
		{"BCFLOW_BC_ACCESS_TOKEN", "[redacted]", "", true},
		{"DATABASE_URL", "[redacted]", "", true},
		{"BCFLOW_WEBHOOK_SECRET", "[redacted]", "", true},
		{"BCFLOW_BC_STORE_HASH", "abc123", "", false},
		{"BCFLOW_HTTP_ADDR", "127.0.0.1:8080", "127.0.0.1:8080", false},
		{"BCFLOW_DEV_UI_PORT", "8233", "8233", false},
		{"BCFLOW_PUBLIC_URL", "http://127.0.0.1:8080", "", false},
	}
	for _, c := range checks {
		s := byName[c.name]
		if s.Value != c.value || s.Default != c.def || s.Secret != c.secret {
			t.Errorf("%s = %+v, want value %q default %q secret %v", c.name, s, c.value, c.def, c.secret)
		}
	}

	// Unset secrets show as empty, not "[redacted]".
	dev, _ := LoadFrom(ModeDev, nil)
	for _, s := range dev.Describe() {
		if s.Name == "BCFLOW_ADMIN_TOKEN" && s.Value != "" {
			t.Errorf("unset secret described as %q", s.Value)
		}
	}

	// A nil *Config gives the reference table (for the README).
	ref := (*Config)(nil).Describe()
	if len(ref) != len(settings) || ref[0].Value != "" || ref[0].Default != "127.0.0.1:7233" {
		t.Errorf("nil Describe = %+v", ref[0])
	}
}

func TestConfigFlows(t *testing.T) {
	cfg := &Config{}
	f, err := cfg.Flows()
	if err != nil || !reflect.DeepEqual(f, DefaultFlows()) {
		t.Errorf("empty FlowsFile should give DefaultFlows, got %v", err)
	}
	cfg.FlowsFile = filepath.Join(t.TempDir(), "missing.yaml")
	if _, err := cfg.Flows(); err == nil {
		t.Error("a missing flows file must be an error")
	}
}

func TestSlogLevel(t *testing.T) {
	for level, want := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		cfg, err := LoadFrom(ModeDev, map[string]string{"BCFLOW_LOG_LEVEL": level})
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.SlogLevel(); got != want {
			t.Errorf("%s: SlogLevel = %v, want %v", level, got, want)
		}
	}
}
