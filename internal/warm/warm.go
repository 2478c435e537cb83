package warm

import (
	_ "github.com/caarlos0/env/v11"
	_ "github.com/gin-gonic/gin"
	_ "github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"
	_ "go.temporal.io/sdk/client"
	_ "go.temporal.io/sdk/testsuite"
	_ "go.temporal.io/server/temporal"
	_ "go.temporal.io/server/temporaltest"
	_ "github.com/temporalio/ui-server/v2/server"
	_ "modernc.org/sqlite"
	_ "github.com/pressly/goose/v3"
	_ "gopkg.in/yaml.v3"
	_ "github.com/getkin/kin-openapi/openapi3"
	_ "github.com/getkin/kin-openapi/openapi2conv"
	_ "github.com/getkin/kin-openapi/openapi3filter"
	_ "go.temporal.io/sdk/contrib/tally"
	_ "github.com/uber-go/tally/v4/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
)
