package api

import (
	_ "embed" // the OpenAPI file
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"
)

//go:embed openapi.yaml
var openAPIFile []byte

// OpenAPI returns the OpenAPI 3 description of the admin API (/api/v1)
// and the dashboard's sign-in (/app/session).
func OpenAPI() []byte { return openAPIFile }

// documentedPrefixes are the routes the OpenAPI file must describe.
var documentedPrefixes = []string{"/api/v1/", "/app/session"}

// openAPIMethods are the operations of an OpenAPI path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// CheckOpenAPI compares the routes of an engine (gin's Routes) with the
// OpenAPI file: it names every route under /api/v1 or /app/session the
// file does not describe, and every operation of the file no route serves
// (gin's :param is OpenAPI's {param}). nil when they agree.
func CheckOpenAPI(routes gin.RoutesInfo) error {
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPIFile, &doc); err != nil {
		return fmt.Errorf("api: openapi.yaml: %w", err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for m := range item {
			if slices.Contains(openAPIMethods, m) {
				documented[strings.ToUpper(m)+" "+path] = true
			}
		}
	}
	served := map[string]bool{}
	for _, r := range routes {
		if !slices.ContainsFunc(documentedPrefixes, func(p string) bool { return strings.HasPrefix(r.Path, p) }) || r.Method == "HEAD" {
			continue
		}
		served[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	var problems []string
	for op := range served {
		if !documented[op] {
			problems = append(problems, "not in openapi.yaml: "+op)
		}
	}
	for op := range documented {
		if !served[op] {
			problems = append(problems, "in openapi.yaml but served by no route: "+op)
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("api: routes and openapi.yaml disagree:\n%s", strings.Join(problems, "\n"))
	}
	return nil
}
