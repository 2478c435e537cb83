package analytics

// Decision names of the decision log that the figures read (the flows'
// contract, workflows/contracts.go and sequence.go).
const (
	decisionSent       = "sent"
	decisionSkipped    = "skipped"
	decisionDeferred   = "deferred"
	decisionFailed     = "failed"
	decisionUnknown    = "unknown"
	decisionExited     = "exited"
	decisionRecovered  = "recovered"
	decisionConverted  = "converted"
	decisionGoal       = "goal_reached"
	decisionAssigned   = "assigned"
	flowCartRecovery   = "cart-recovery"
	stepHoldout        = "holdout"
	groupHoldout       = "holdout"
	groupMessaged      = "messaged"
	engagementDelivers = "delivered"
	engagementOpens    = "opened"
	engagementClicks   = "clicked"
)

// Loyalty ledger kinds (store.Ledger*).
const (
	ledgerAward      = "award"
	ledgerBonus      = "bonus"
	ledgerRedemption = "redemption"
)

// funnelDecision reports whether r is a decision row of a flow's funnel
// named one of names: a decision of one of its steps. The holdout step is
// not part of the funnel, and neither is what a flow records without a step
// (the order hub's bookkeeping: a child started, a cart flow signalled).
func funnelDecision(r RollupRow, names ...string) bool {
	if !stepRow(r) || r.Kind != KindDecision {
		return false
	}
	for _, n := range names {
		if r.K3 == n {
			return true
		}
	}
	return false
}

// stepRow reports whether r belongs to a step of a flow's funnel.
func stepRow(r RollupRow) bool { return r.K2 != "" && r.K2 != stepHoldout }

// funnelFlows are the flows with a funnel among rows: those that recorded
// a decision (or an engagement) on a step. Flows that only keep books
// (the order hub, the sync workflows) have none and are left out of the
// flows figures, their entries too.
func funnelFlows(rows []RollupRow) map[string]bool {
	out := map[string]bool{}
	for _, r := range rows {
		if (r.Kind == KindDecision || r.Kind == KindEngagement) && stepRow(r) {
			out[r.K1] = true
		}
	}
	return out
}

// conversion reports whether r counts as a conversion of a messaged
// shopper: a cart "recovered" or a "converted" decision outside the
// holdout step.
func conversion(r RollupRow) bool { return funnelDecision(r, decisionRecovered, decisionConverted) }
