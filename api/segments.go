package api

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// SegmentControl starts and describes full segment recomputes; the starter
// implements it over Temporal.
type SegmentControl interface {
	StartSegmentRecompute(ctx context.Context, storeHash, segment string) (runID string, err error)
	DescribeSegmentRecompute(ctx context.Context, storeHash string) (rc starter.SegmentRecompute, found bool, err error)
}

// SegmentReader is the part of the store the segment routes read;
// *store.Store implements it.
type SegmentReader interface {
	SegmentSizes(ctx context.Context, storeHash string) (map[string]int, error)
	SegmentMovements(ctx context.Context, storeHash string, from, to time.Time) (map[string]store.SegmentMovement, error)
	PendingSegmentPushCounts(ctx context.Context, storeHash string) (map[string]map[store.PushTarget]int, error)
	SegmentTargets(ctx context.Context, storeHash string) (map[string]store.SegmentTarget, error)
	SegmentMembers(ctx context.Context, storeHash, segment, afterEmail string, limit int) ([]store.SegmentMember, error)
	ShopperSegments(ctx context.Context, storeHash, email string) ([]store.SegmentMember, error)
	MirrorCustomerByID(ctx context.Context, storeHash string, id int64) (store.MirrorCustomer, error)
}

// SegmentsOptions configure the segment routes.
type SegmentsOptions struct {
	// Control reaches Temporal; required.
	Control SegmentControl
	// Store reads memberships, push state and the mirror; required.
	Store SegmentReader
	// Flows gives each store's segment definitions; nil means the built-in
	// defaults.
	Flows *config.Flows
	// BigCommerceUnavailable, when set, reports whether the store's
	// BigCommerce plan lacks the Customer Segmentation API (the segment
	// engine's decision); nil leaves it out of the answers.
	BigCommerceUnavailable func(ctx context.Context, storeHash string) (bool, error)
	// Stores, when not empty, are the only store hashes answered (others:
	// 404).
	Stores []string
	// Now is the clock of the "last 7 days" counts (default time.Now).
	Now func() time.Time
	// Logger receives failures to reach Temporal or the store.
	Logger *slog.Logger
}

// Member paging of GET .../segments/{segment}/members.
const (
	defaultMembersLimit = 100
	maxMembersLimit     = 1000
)

// recentWindow is the span of a segment's entered/left counts.
const recentWindow = 7 * 24 * time.Hour

// MountSegments adds the customer segment routes to g (the Admin group):
//
//	GET  /stores/{store}/segments                         → 200 SegmentsView: every segment, its size, crossings of the last 7 days, push state
//	GET  /stores/{store}/segments/{segment}/members       → 200 SegmentMembersView (?after=EMAIL&limit=1..1000, default 100; next is the cursor)
//	GET  /stores/{store}/customers/segments?email=E       → 200 ShopperSegmentsView (or ?customer_id=N, resolved through the mirror)
//	POST /stores/{store}/segments/recompute {"segment": S} → 202 {"workflow_id", "run_id"}; 409 recompute_running with "running"; 400 unknown segment
//	GET  /stores/{store}/segments/recompute               → 200 SegmentRecomputeView; 404 no_recompute
//
// Temporal or the store not answering is a 503.
func MountSegments(g *gin.RouterGroup, opts SegmentsOptions) {
	if opts.Flows == nil {
		opts.Flows = config.DefaultFlows()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &segmentsHandler{opts: opts}
	g.GET("/stores/:store/segments", h.list)
	g.GET("/stores/:store/segments/recompute", h.progress)
	g.POST("/stores/:store/segments/recompute", h.recompute)
	g.GET("/stores/:store/segments/:segment/members", h.members)
	g.GET("/stores/:store/customers/segments", h.shopper)
}

type segmentsHandler struct{ opts SegmentsOptions }

// SegmentsView is the answer of GET /api/v1/stores/{store}/segments.
type SegmentsView struct {
	Store string `json:"store"`
	// Enabled, PushToBigCommerce and PushToBrevo are the store's segment
	// settings in the flows file.
	Enabled           bool `json:"enabled"`
	PushToBigCommerce bool `json:"push_to_bigcommerce"`
	PushToBrevo       bool `json:"push_to_brevo"`
	// BigCommerceUnavailable: the store's plan has no Customer Segmentation
	// API, so nothing is pushed to BigCommerce (absent when unknown).
	BigCommerceUnavailable *bool `json:"bigcommerce_unavailable,omitempty"`
	// Segments are the defined segments, then those the flows file no
	// longer defines that still have members or targets, by name.
	Segments []SegmentView `json:"segments"`
}

// SegmentView is one segment of SegmentsView.
type SegmentView struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Defined: the flows file defines it; false for one removed from the
	// file whose members have not all left yet (the next recompute drops
	// them).
	Defined bool `json:"defined"`
	// TimeBased: its rule changes with time alone (older_than, within), so
	// the daily run re-evaluates it.
	TimeBased bool `json:"time_based"`
	// Size is the number of current members.
	Size int `json:"size"`
	// EnteredLast7Days and LeftLast7Days count the crossings of the last 7
	// days (a shopper who entered twice counts twice); LeftLast7Days is
	// absent when the store cannot tell (see SegmentExitReader).
	EnteredLast7Days int `json:"entered_last_7_days"`
	LeftLast7Days    int `json:"left_last_7_days"`
	// Pending are the membership changes not pushed yet, by target
	// (bigcommerce, brevo, flows).
	Pending map[string]int `json:"pending"`
	// BigCommerceSegmentID is the BigCommerce customer segment kept in step
	// (absent until the first push created or found it).
	BigCommerceSegmentID string `json:"bigcommerce_segment_id,omitempty"`
	// BrevoList is the Brevo list's name; BrevoListID its id once known.
	BrevoList   string `json:"brevo_list,omitempty"`
	BrevoListID int64  `json:"brevo_list_id,omitempty"`
}

func (h *segmentsHandler) list(c *gin.Context) {
	storeHash, ok := storeParam(c, h.opts.Stores)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	settings, defs := h.opts.Flows.SegmentsFor(storeHash)
	sizes, err := h.opts.Store.SegmentSizes(ctx, storeHash)
	if err != nil {
		h.unavailable(c, "read segment sizes", storeHash, err)
		return
	}
	pending, err := h.opts.Store.PendingSegmentPushCounts(ctx, storeHash)
	if err != nil {
		h.unavailable(c, "read pending segment pushes", storeHash, err)
		return
	}
	targets, err := h.opts.Store.SegmentTargets(ctx, storeHash)
	if err != nil {
		h.unavailable(c, "read segment targets", storeHash, err)
		return
	}
	out := SegmentsView{Store: storeHash, Enabled: settings.Enabled, PushToBigCommerce: settings.PushToBigCommerce,
		PushToBrevo: settings.PushToBrevo, Segments: []SegmentView{}}
	if h.opts.BigCommerceUnavailable != nil {
		off, err := h.opts.BigCommerceUnavailable(ctx, storeHash)
		if err != nil {
			h.unavailable(c, "read the BigCommerce segmentation state", storeHash, err)
			return
		}
		out.BigCommerceUnavailable = &off
	}
	views := make([]SegmentView, 0, len(defs))
	for _, d := range defs {
		views = append(views, SegmentView{Name: d.Name, Title: d.BigCommerceName(), Defined: true, TimeBased: d.Rule.TimeBased(), BrevoList: d.BrevoListName()})
	}
	// Segments the file dropped, still with members, pushes or targets.
	var gone []string
	for name := range sizes {
		gone = append(gone, name)
	}
	for name := range pending {
		gone = append(gone, name)
	}
	for name := range targets {
		gone = append(gone, name)
	}
	slices.Sort(gone)
	for _, name := range slices.Compact(gone) {
		if !slices.ContainsFunc(views, func(v SegmentView) bool { return v.Name == name }) {
			views = append(views, SegmentView{Name: name, Title: name})
		}
	}
	to := h.opts.Now()
	moves, err := h.opts.Store.SegmentMovements(ctx, storeHash, to.Add(-recentWindow), to)
	if err != nil {
		h.unavailable(c, "read segment movements", storeHash, err)
		return
	}
	for i := range views {
		v := &views[i]
		v.Size = sizes[v.Name]
		v.Pending = map[string]int{}
		for _, t := range []store.PushTarget{store.PushBigCommerce, store.PushBrevo, store.PushFlows} {
			v.Pending[string(t)] = pending[v.Name][t]
		}
		if t, ok := targets[v.Name]; ok {
			v.BigCommerceSegmentID, v.BrevoListID = t.BigCommerceID, t.BrevoListID
		}
		v.EnteredLast7Days, v.LeftLast7Days = moves[v.Name].Entered, moves[v.Name].Left
	}
	out.Segments = views
	c.JSON(http.StatusOK, out)
}

// unavailable answers a failure to read the store (503) and logs it; what
// names what was being read. An email the error may quote is masked: no
// personal data in logs.
func (h *segmentsHandler) unavailable(c *gin.Context, what, storeHash string, err error, emails ...string) {
	storeUnavailable(c, h.opts.Logger, what, storeHash, err, emails...)
}

// storeUnavailable logs that the store could not answer what (each of
// emails masked in the error) and answers 503 unavailable.
func storeUnavailable(c *gin.Context, logger *slog.Logger, what, storeHash string, err error, emails ...string) {
	msg := err.Error()
	for _, e := range emails {
		if e != "" {
			msg = strings.ReplaceAll(msg, e, "[email]")
		}
	}
	logger.ErrorContext(c.Request.Context(), what, "store", storeHash, "error", msg)
	AbortError(c, http.StatusServiceUnavailable, "unavailable", "could not "+what)
}

// segmentParam reads a segment name of a request: 400 unless it has a
// segment name's shape. On failure it has answered.
func segmentParam(c *gin.Context, name string) bool {
	if err := starter.CheckSegmentName(name); err != nil {
		AbortError(c, http.StatusBadRequest, "bad_segment", err.Error())
		return false
	}
	return true
}

// defined reports whether the flows file defines segment for storeHash.
func (h *segmentsHandler) defined(storeHash, segment string) bool {
	_, defs := h.opts.Flows.SegmentsFor(storeHash)
	return slices.ContainsFunc(defs, func(d config.SegmentDefinition) bool { return d.Name == segment })
}

// SegmentMember is a shopper in a segment, as the member and shopper
// routes answer it.
type SegmentMember struct {
	Segment string `json:"segment,omitempty"`
	Email   string `json:"email,omitempty"`
	// CustomerID is 0 for a guest.
	CustomerID int64     `json:"customer_id"`
	EnteredAt  time.Time `json:"entered_at"`
	// LeftAt is absent while the shopper is a member.
	LeftAt time.Time `json:"left_at,omitzero"`
	// Current: the shopper is a member now (this stint has not ended).
	Current bool `json:"current"`
}

// SegmentMembersView is the answer of GET .../segments/{segment}/members.
type SegmentMembersView struct {
	Segment string          `json:"segment"`
	Members []SegmentMember `json:"members"`
	// Next is the after= of the next page; absent on the last one.
	Next string `json:"next,omitempty"`
}

func (h *segmentsHandler) members(c *gin.Context) {
	storeHash, segment := c.Param("store"), c.Param("segment")
	if !knownStore(c, h.opts.Stores, storeHash) || !segmentParam(c, segment) {
		return
	}
	limit := defaultMembersLimit
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxMembersLimit {
			AbortError(c, http.StatusBadRequest, "bad_limit", "limit must be 1 to 1000")
			return
		}
		limit = n
	}
	after := c.Query("after")
	if len(after) > 254 || after != strings.TrimSpace(after) {
		AbortError(c, http.StatusBadRequest, "bad_after", "after must be the next of a previous page (an email address)")
		return
	}
	ctx := c.Request.Context()
	if !h.defined(storeHash, segment) {
		sizes, err := h.opts.Store.SegmentSizes(ctx, storeHash)
		if err != nil {
			h.unavailable(c, "read segment sizes", storeHash, err)
			return
		}
		if _, ok := sizes[segment]; !ok {
			AbortError(c, http.StatusNotFound, "unknown_segment", "store "+storeHash+" has no segment "+strconv.Quote(segment))
			return
		}
	}
	// One more than asked tells whether there is a next page.
	ms, err := h.opts.Store.SegmentMembers(ctx, storeHash, segment, strings.ToLower(after), limit+1)
	if err != nil {
		h.unavailable(c, "read segment members", storeHash, err, after, strings.ToLower(after))
		return
	}
	out := SegmentMembersView{Segment: segment, Members: make([]SegmentMember, 0, min(len(ms), limit))}
	if len(ms) > limit {
		ms = ms[:limit]
		out.Next = ms[limit-1].Email
	}
	for _, m := range ms {
		out.Members = append(out.Members, SegmentMember{Email: m.Email, CustomerID: m.CustomerID, EnteredAt: m.EnteredAt, Current: true})
	}
	c.JSON(http.StatusOK, out)
}

// ShopperSegmentsView is the answer of GET .../customers/segments: every
// stint of the shopper in a segment, newest first.
type ShopperSegmentsView struct {
	Email string `json:"email"`
	// CustomerID is the customer asked for (?customer_id=), else absent.
	CustomerID int64 `json:"customer_id,omitempty"`
	// Current names the segments the shopper is in now, by name.
	Current  []string        `json:"current"`
	Segments []SegmentMember `json:"segments"`
}

func (h *segmentsHandler) shopper(c *gin.Context) {
	storeHash, ok := storeParam(c, h.opts.Stores)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	emailQ, byEmail := c.GetQuery("email")
	idQ, byID := c.GetQuery("customer_id")
	var out ShopperSegmentsView
	switch {
	case byEmail == byID:
		AbortError(c, http.StatusBadRequest, "bad_query", "give exactly one of email= and customer_id=")
		return
	case byEmail:
		email, err := starter.ParseEmail("email", emailQ)
		if err != nil {
			AbortError(c, http.StatusBadRequest, "bad_email", "email must be an email address")
			return
		}
		out.Email = strings.ToLower(email)
	default:
		id, err := starter.ParseID("customer_id", idQ)
		if err != nil {
			AbortError(c, http.StatusBadRequest, "bad_customer", "customer_id must be a BigCommerce customer id")
			return
		}
		cust, err := h.opts.Store.MirrorCustomerByID(ctx, storeHash, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			AbortError(c, http.StatusNotFound, "unknown_customer", "customer "+idQ+" is not in bcflow's mirror of store "+storeHash+" (run a sync)")
			return
		case err != nil:
			h.unavailable(c, "read the mirrored customer", storeHash, err)
			return
		case strings.TrimSpace(cust.Email) == "":
			AbortError(c, http.StatusNotFound, "unknown_customer", "customer "+idQ+" has no email, so no segment")
			return
		}
		out.Email, out.CustomerID = strings.ToLower(strings.TrimSpace(cust.Email)), id
	}
	stints, err := h.opts.Store.ShopperSegments(ctx, storeHash, out.Email)
	if err != nil {
		h.unavailable(c, "read the shopper's segments", storeHash, err, out.Email)
		return
	}
	out.Current, out.Segments = []string{}, make([]SegmentMember, 0, len(stints))
	for _, m := range stints {
		cur := m.LeftAt.IsZero()
		if cur {
			out.Current = append(out.Current, m.Segment)
		}
		out.Segments = append(out.Segments, SegmentMember{Segment: m.Segment, CustomerID: m.CustomerID, EnteredAt: m.EnteredAt, LeftAt: m.LeftAt, Current: cur})
	}
	slices.Sort(out.Current)
	out.Current = slices.Compact(out.Current)
	c.JSON(http.StatusOK, out)
}

// SegmentRecomputeRequest is the body of POST .../segments/recompute; an
// empty body recomputes every segment.
type SegmentRecomputeRequest struct {
	// Segment is the one segment to recompute; "" means all of them.
	Segment string `json:"segment"`
}

// SegmentRecomputeView is a recompute as GET .../segments/recompute answers
// it: Temporal's view of its workflow (workflow_id, run_id, status,
// start_time, close_time) and its progress.
type SegmentRecomputeView struct {
	starter.SyncExecution
	// Progress is the pass's progress: absent when the workflow could not
	// tell it (no worker answered, a run that failed), then Summary, the
	// line the workflow keeps on its memo, says what it last knew.
	Progress *SegmentsProgressView `json:"progress,omitempty"`
	Summary  string                `json:"summary,omitempty"`
}

// SegmentsProgressView is a recompute pass's progress.
type SegmentsProgressView struct {
	// Segment is the segment asked for ("" every one); TimeOnly: only the
	// time-based segments' shoppers whose dates can have crossed a bound
	// (the daily run).
	Segment  string `json:"segment,omitempty"`
	TimeOnly bool   `json:"time_only"`
	// Status is the pass's: running or completed.
	Status    string    `json:"status"`
	StartedAt time.Time `json:"started_at,omitzero"`
	// Done and Total count the segments of the pass.
	Done  int `json:"done"`
	Total int `json:"total"`
	// Passes counts the passes the workflow ran (one asked for during a
	// pass runs after it).
	Passes   int                   `json:"passes"`
	Segments []SegmentProgressView `json:"segments"`
}

// SegmentProgressView is one segment of a recompute pass; the counts are
// set once it is done.
type SegmentProgressView struct {
	Segment   string `json:"segment"`
	Done      bool   `json:"done"`
	Evaluated int    `json:"evaluated"`
	Entered   int    `json:"entered"`
	Left      int    `json:"left"`
}

// recomputeView is the API's shape of a starter.SegmentRecompute.
func recomputeView(rc starter.SegmentRecompute) SegmentRecomputeView {
	v := SegmentRecomputeView{SyncExecution: rc.SyncExecution, Summary: rc.Summary}
	if p := rc.Progress; p != nil {
		pv := &SegmentsProgressView{Segment: p.Segment, TimeOnly: p.TimeOnly, Status: p.Status, StartedAt: p.StartedAt,
			Total: len(p.Segments), Passes: p.Passes, Segments: make([]SegmentProgressView, 0, len(p.Segments))}
		for _, s := range p.Segments {
			if s.Done {
				pv.Done++
			}
			pv.Segments = append(pv.Segments, SegmentProgressView{Segment: s.Segment, Done: s.Done,
				Evaluated: s.Result.Evaluated, Entered: s.Result.Entered, Left: s.Result.Left})
		}
		v.Progress = pv
	}
	return v
}

func (h *segmentsHandler) recompute(c *gin.Context) {
	storeHash, ok := storeParam(c, h.opts.Stores)
	if !ok {
		return
	}
	body, ok := ReadBody(c)
	if !ok {
		return
	}
	var req SegmentRecomputeRequest
	if len(bytes.TrimSpace(body)) > 0 && !decodeBody(c, body, &req, `{"segment": "name"} (or empty: every segment)`) {
		return
	}
	if req.Segment != "" {
		if !segmentParam(c, req.Segment) {
			return
		}
		if !h.defined(storeHash, req.Segment) {
			AbortError(c, http.StatusBadRequest, "unknown_segment", "the flows file defines no segment "+strconv.Quote(req.Segment)+" for store "+storeHash)
			return
		}
	}
	ctx := c.Request.Context()
	id := workflows.SegmentRecomputeID(storeHash)
	runID, err := h.opts.Control.StartSegmentRecompute(ctx, storeHash, req.Segment)
	switch {
	case errors.Is(err, starter.ErrRecomputeRunning):
		body := gin.H{"error": ErrorDetail{Code: "recompute_running", RequestID: c.GetString(requestIDKey),
			Message: "a segment recompute of " + storeHash + " is already running (" + id + "); watch it with GET /api/v1/stores/" + storeHash + "/segments/recompute"}}
		if rc, found, err := h.opts.Control.DescribeSegmentRecompute(ctx, storeHash); err == nil && found {
			body["running"] = recomputeView(rc)
		}
		c.AbortWithStatusJSON(http.StatusConflict, body)
		return
	case err != nil:
		if _, parse := errors.AsType[*starter.ParseError](err); parse {
			AbortError(c, http.StatusBadRequest, "bad_segment", err.Error())
			return
		}
		temporalUnavailable(c, h.opts.Logger, "start segment recompute", id, err, "Temporal did not accept the recompute; retry")
		return
	}
	c.JSON(http.StatusAccepted, SyncStarted{WorkflowID: id, RunID: runID})
}

func (h *segmentsHandler) progress(c *gin.Context) {
	storeHash, ok := storeParam(c, h.opts.Stores)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	rc, found, err := h.opts.Control.DescribeSegmentRecompute(ctx, storeHash)
	switch {
	case err != nil:
		temporalUnavailable(c, h.opts.Logger, "describe segment recompute", workflows.SegmentRecomputeID(storeHash), err,
			"Temporal did not answer; retry")
		return
	case !found:
		AbortError(c, http.StatusNotFound, "no_recompute", "no segment recompute of "+storeHash+" has run")
		return
	}
	c.JSON(http.StatusOK, recomputeView(rc))
}
