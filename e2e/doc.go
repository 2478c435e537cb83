// Package e2e holds bcflow's end-to-end tests: they run a real Temporal
// server (go.temporal.io/server/temporaltest in-process, or the embedded dev
// server inside the bcflow binary) and never mock Temporal. Every test that
// links the Temporal server lives here, so only this package pays for the
// ~200 MB test binary.
//
// The workers' SDK logger fails the test that produced a broken-flow line
// (unhandled signals, a workflow panic, a failed workflow task), in process
// or in a bcflow process's log. TestFaultSuite runs the reminder sequence
// and an order's points through worker kills, Temporal and PostgreSQL
// restarts, BigCommerce and Brevo outages and duplicate, reordered
// webhooks. scripts/e2e-under-load runs the package repeatedly on a loaded
// machine and prints the pass rate.
package e2e
