package bcflow_test

import (
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/bcflow/bcflow/config"
)

// composeFile is the part of docker-compose.yml the test checks.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck *struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

var interpolation = regexp.MustCompile(`\$\{([A-Z0-9_]+)(:?[-?][^}]*)?\}`)

// resolve substitutes compose's ${VAR:-default} and ${VAR:?msg} forms the way
// compose would with an empty environment plus the given values.
func resolve(s string, given map[string]string) string {
	return interpolation.ReplaceAllStringFunc(s, func(m string) string {
		parts := interpolation.FindStringSubmatch(m)
		if v, ok := given[parts[1]]; ok {
			return v
		}
		if strings.HasPrefix(parts[2], ":-") {
			return parts[2][2:]
		}
		return ""
	})
}

// TestDockerComposeMatchesConfiguration parses docker-compose.yml (no Docker
// engine runs on CI) and checks it against bcflow's configuration struct:
// every variable is one bcflow reads, every mode gets its required secrets,
// and hosts, ports and dependencies point at services that exist.
func TestDockerComposeMatchesConfiguration(t *testing.T) {
	raw, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cf composeFile
	if err := yaml.Unmarshal(raw, &cf); err != nil {
		t.Fatalf("docker-compose.yml does not parse: %v", err)
	}
	for _, want := range []string{"postgresql", "temporal", "temporal-ui", "migrate", "api", "worker"} {
		if _, ok := cf.Services[want]; !ok {
			t.Errorf("service %q missing", want)
		}
	}
	if _, ok := cf.Volumes["pgdata"]; !ok {
		t.Error("the PostgreSQL volume is missing")
	}
	known := map[string]bool{}
	for _, s := range (*config.Config)(nil).Describe() {
		known[s.Name] = true
	}
	secrets := map[string]string{"BCFLOW_BC_STORE_HASH": "abc123", "BCFLOW_PUBLIC_URL": "https://bcflow.example.com"}
	modes := map[string]config.Mode{"api": config.ModeAPI, "worker": config.ModeWorker, "migrate": config.ModeTool}
	bcflowServices := 0
	for name, svc := range cf.Services {
		for dep := range svc.DependsOn {
			if _, ok := cf.Services[dep]; !ok {
				t.Errorf("%s depends on unknown service %q", name, dep)
			}
		}
		if svc.Image == "" && svc.Build == nil {
			t.Errorf("%s has neither image nor build", name)
		}
		if svc.Build == nil {
			continue
		}
		bcflowServices++
		if len(svc.Command) == 0 {
			t.Errorf("%s: no bcflow command", name)
			continue
		}
		mode, ok := modes[svc.Command[0]]
		if !ok {
			t.Errorf("%s: unexpected bcflow command %q", name, svc.Command[0])
			continue
		}
		environ := map[string]string{}
		for k, v := range svc.Environment {
			if !known[k] {
				t.Errorf("%s: %s is not a bcflow setting", name, k)
			}
			// Stand-in values for the secrets an operator must supply.
			given := map[string]string{}
			for _, m := range interpolation.FindAllStringSubmatch(v, -1) {
				if strings.HasPrefix(m[2], ":?") {
					given[m[1]] = "operator-supplied"
					if sv, ok := secrets[m[1]]; ok {
						given[m[1]] = sv
					}
				}
			}
			environ[k] = resolve(v, given)
		}
		// The service's environment must load in its mode: nothing required is missing.
		if _, err := config.LoadFrom(mode, environ); err != nil {
			t.Errorf("%s (%s mode): configuration does not load: %v", name, mode, err)
		}
		for _, req := range config.RequiredVars(mode) {
			if environ[req] == "" {
				t.Errorf("%s: required %s is empty", name, req)
			}
		}
		if db := environ["DATABASE_URL"]; db != "" {
			u, err := url.Parse(db)
			if err != nil || u.Scheme != "postgres" {
				t.Errorf("%s: DATABASE_URL %q is not a postgres URL", name, db)
			} else if _, ok := cf.Services[u.Hostname()]; !ok {
				t.Errorf("%s: DATABASE_URL host %q is not a service", name, u.Hostname())
			}
		}
		host, _, err := net.SplitHostPort(environ["TEMPORAL_ADDRESS"])
		if _, ok := cf.Services[host]; err != nil || !ok {
			t.Errorf("%s: TEMPORAL_ADDRESS %q does not name a service", name, environ["TEMPORAL_ADDRESS"])
		}
		if svc.Command[0] == "api" {
			_, port, _ := net.SplitHostPort(environ["BCFLOW_HTTP_ADDR"])
			if !slices.ContainsFunc(svc.Ports, func(p string) bool { return strings.HasSuffix(p, ":"+port) }) {
				t.Errorf("api listens on %s but publishes %v", environ["BCFLOW_HTTP_ADDR"], svc.Ports)
			}
		}
		if svc.Command[0] != "migrate" && svc.Healthcheck == nil {
			t.Errorf("%s: no health check", name)
		}
	}
	if bcflowServices != 3 {
		t.Errorf("%d services build bcflow, want 3 (migrate, api, worker)", bcflowServices)
	}
	for _, name := range []string{"postgresql", "temporal"} {
		if cf.Services[name].Healthcheck == nil {
			t.Errorf("%s: no health check (bcflow waits on it)", name)
		}
	}
	dockerfile, err := os.ReadFile("Dockerfile")
	if err != nil || !strings.Contains(string(dockerfile), "./cmd/bcflow") {
		t.Errorf("Dockerfile missing or does not build ./cmd/bcflow: %v", err)
	}
}
