package analytics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// Flows is the answer of GET .../analytics/flows.
type Flows struct {
	Period   Range      `json:"period"`
	Previous Range      `json:"previous"`
	Channel  int64      `json:"channel"`
	Flows    []FlowView `json:"flows"`
}

// Funnel is the figures of a flow or of one of its steps.
type Funnel struct {
	Sent      Count `json:"sent"`
	Delivered Count `json:"delivered"`
	Opened    Count `json:"opened"`
	Clicked   Count `json:"clicked"`
	Skipped   Count `json:"skipped"`
	Deferred  Count `json:"deferred"`
	// Failed includes the sends whose outcome is unknown.
	Failed Count `json:"failed"`
	// Converted and Revenue are the conversions of messaged shoppers
	// (a recovered cart, a converted decision) and their orders' amount.
	Converted Count  `json:"converted"`
	Revenue   Amount `json:"revenue"`
}

// FlowView is one flow: its entries, its funnel and its steps.
type FlowView struct {
	Flow    string `json:"flow"`
	Entered Count  `json:"entered"`
	Funnel
	Steps []StepView `json:"steps"`
}

// StepView is one step of a flow's funnel, with why shoppers did not get
// its message.
type StepView struct {
	Step string `json:"step"`
	Funnel
	Reasons []Reason `json:"reasons"`
}

// Reason is how many times a step's decision had a reason, in the period.
type Reason struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
	Count    int64  `json:"count"`
}

// flowsKinds are the rollup kinds the flows figures read.
var flowsKinds = []string{KindEntered, KindDecision, KindEngagement}

// funnelAcc accumulates a Funnel.
type funnelAcc struct {
	sent, delivered, opened, clicked, skipped, deferred, failed, converted pair
}

func (f *funnelAcc) add(q Query, r RollupRow) {
	var p *pair
	switch r.Kind {
	case KindEngagement:
		switch r.K3 {
		case engagementDelivers:
			p = &f.delivered
		case engagementOpens:
			p = &f.opened
		case engagementClicks:
			p = &f.clicked
		}
	case KindDecision:
		switch r.K3 {
		case decisionSent:
			p = &f.sent
		case decisionSkipped:
			p = &f.skipped
		case decisionDeferred:
			p = &f.deferred
		case decisionFailed, decisionUnknown:
			p = &f.failed
		case decisionRecovered, decisionConverted:
			p = &f.converted
		}
	}
	if p != nil {
		p.add(q, r)
	}
}

func (f *funnelAcc) funnel() Funnel {
	return Funnel{Sent: f.sent.count(), Delivered: f.delivered.count(), Opened: f.opened.count(), Clicked: f.clicked.count(),
		Skipped: f.skipped.count(), Deferred: f.deferred.count(), Failed: f.failed.count(),
		Converted: f.converted.count(), Revenue: f.converted.amount()}
}

// reasonDecisions are the decisions whose reasons a step lists.
var reasonDecisions = map[string]bool{decisionSkipped: true, decisionDeferred: true, decisionFailed: true,
	decisionUnknown: true, decisionExited: true}

// ComposeFlows builds every flow's funnel from the rows of q's span (kinds
// flowsKinds). stepOrder, when set, gives a flow's steps in their order
// (steps it does not name follow, by name); the holdout step is left out.
func ComposeFlows(q Query, rows []RollupRow, stepOrder func(flow string) []string) Flows {
	type stepAcc struct {
		funnelAcc
		reasons map[[2]string]int64
	}
	type flowAcc struct {
		entered pair
		funnelAcc
		steps map[string]*stepAcc
	}
	flows := map[string]*flowAcc{}
	withFunnel := funnelFlows(rows)
	for _, r := range rows {
		if !withFunnel[r.K1] || (r.Kind != KindEntered && !stepRow(r)) ||
			(r.Kind != KindEntered && r.Kind != KindDecision && r.Kind != KindEngagement) {
			continue
		}
		if !q.Period.Contains(r.Day) && !q.Previous.Contains(r.Day) {
			continue
		}
		f := flows[r.K1]
		if f == nil {
			f = &flowAcc{steps: map[string]*stepAcc{}}
			flows[r.K1] = f
		}
		if r.Kind == KindEntered {
			f.entered.add(q, r)
			continue
		}
		f.funnelAcc.add(q, r)
		s := f.steps[r.K2]
		if s == nil {
			s = &stepAcc{reasons: map[[2]string]int64{}}
			f.steps[r.K2] = s
		}
		s.funnelAcc.add(q, r)
		if r.Kind == KindDecision && reasonDecisions[r.K3] && q.Period.Contains(r.Day) {
			d := r.K3
			if d == decisionUnknown {
				d = decisionFailed
			}
			s.reasons[[2]string{d, r.K4}] += r.N
		}
	}
	out := Flows{Period: q.Period, Previous: q.Previous, Channel: q.Channel, Flows: []FlowView{}}
	names := make([]string, 0, len(flows))
	for name := range flows {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f := flows[name]
		v := FlowView{Flow: name, Entered: f.entered.count(), Funnel: f.funnelAcc.funnel(), Steps: []StepView{}}
		var order []string
		if stepOrder != nil {
			order = stepOrder(name)
		}
		steps := make([]string, 0, len(f.steps))
		for s := range f.steps {
			steps = append(steps, s)
		}
		slices.SortFunc(steps, func(a, b string) int {
			ia, ib := slices.Index(order, a), slices.Index(order, b)
			if ia < 0 {
				ia = len(order)
			}
			if ib < 0 {
				ib = len(order)
			}
			return cmp.Or(cmp.Compare(ia, ib), cmp.Compare(a, b))
		})
		for _, sn := range steps {
			s := f.steps[sn]
			sv := StepView{Step: sn, Funnel: s.funnelAcc.funnel(), Reasons: []Reason{}}
			for k, n := range s.reasons {
				sv.Reasons = append(sv.Reasons, Reason{Decision: k[0], Reason: k[1], Count: n})
			}
			slices.SortFunc(sv.Reasons, func(a, b Reason) int {
				return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Decision, b.Decision), cmp.Compare(a.Reason, b.Reason))
			})
			v.Steps = append(v.Steps, sv)
		}
		out.Flows = append(out.Flows, v)
	}
	return out
}

// Flows reads and composes the flows figures of storeHash; cart
// recovery's steps come in the order of its flows file.
func (s *Service) Flows(ctx context.Context, storeHash string, q Query) (Flows, error) {
	var rows, prev []RollupRow
	err := parallel(
		func() (err error) {
			rows, err = s.totals(ctx, storeHash, q.Channel, q.Period, flowsKinds...)
			return err
		},
		func() (err error) {
			prev, err = s.totals(ctx, storeHash, q.Channel, q.Previous, flowsKinds...)
			return err
		},
	)
	if err != nil {
		return Flows{}, fmt.Errorf("analytics: flows rollups: %w", err)
	}
	rows = append(rows, prev...)
	set := s.flows().For(storeHash, int(q.Channel))
	order := func(flow string) []string {
		if flow != flowCartRecovery || set.CartRecovery == nil {
			return nil
		}
		names := make([]string, 0, len(set.CartRecovery.Steps))
		for _, st := range set.CartRecovery.Steps {
			names = append(names, st.Name)
		}
		return names
	}
	return ComposeFlows(q, rows, order), nil
}
