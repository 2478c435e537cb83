// Package e2e holds bcflow's end-to-end tests: they run a real Temporal
// server (go.temporal.io/server/temporaltest in-process, or the embedded dev
// server inside the bcflow binary) and never mock Temporal. Every test that
// links the Temporal server lives here, so only this package pays for the
// ~200 MB test binary.
package e2e
