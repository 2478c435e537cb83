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
// named one of names (the holdout step is not part of the funnel).
func funnelDecision(r RollupRow, names ...string) bool {
	if r.Kind != KindDecision || r.K2 == stepHoldout {
		return false
	}
	for _, n := range names {
		if r.K3 == n {
			return true
		}
	}
	return false
}

// conversion reports whether r counts as a conversion of a messaged
// shopper: a cart "recovered" or a "converted" decision outside the
// holdout step.
func conversion(r RollupRow) bool { return funnelDecision(r, decisionRecovered, decisionConverted) }
