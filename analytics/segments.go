package analytics

import (
	"context"
	"fmt"
	"slices"
)

// Segments is the answer of GET .../analytics/segments.
type Segments struct {
	Period   Range         `json:"period"`
	Previous Range         `json:"previous"`
	Segments []SegmentView `json:"segments"`
}

// SegmentView is one segment: its size now, its crossings and its size at
// the end of each day of the period.
type SegmentView struct {
	Name    string       `json:"name"`
	Title   string       `json:"title"`
	Size    int64        `json:"size"`
	Entered Count        `json:"entered"`
	Left    Count        `json:"left"`
	Series  []SegmentDay `json:"series"`
}

// SegmentDay is a segment's size at the end of a day.
type SegmentDay struct {
	Day  string `json:"day"`
	Size int64  `json:"size"`
}

// Segment crossings (k3 of the segment rollups).
const (
	segmentEntered = "entered"
	segmentLeft    = "left"
)

// endOfTime bounds the segment rows read: every crossing after the period
// moves the size back.
const endOfTime = "9999-12-31"

// SegmentTitle is a segment's name and the title people read.
type SegmentTitle struct{ Name, Title string }

// ComposeSegments builds the segment figures from the rows (kind segment)
// of every day from q.Previous.From on (the days after the period too: the
// size at the end of a day is the size now minus the crossings after it),
// the current sizes and the defined segments in order (those the file no
// longer defines follow, by name, titled by their name).
func ComposeSegments(q Query, rows []RollupRow, sizes map[string]int, defined []SegmentTitle) Segments {
	out := Segments{Period: q.Period, Previous: q.Previous, Segments: []SegmentView{}}
	views := make([]SegmentView, 0, len(defined))
	for _, d := range defined {
		views = append(views, SegmentView{Name: d.Name, Title: d.Title})
	}
	var extra []string
	known := func(name string) bool {
		return slices.ContainsFunc(views, func(v SegmentView) bool { return v.Name == name }) || slices.Contains(extra, name)
	}
	for name := range sizes {
		if !known(name) {
			extra = append(extra, name)
		}
	}
	for _, r := range rows {
		if r.Kind == KindSegment && !known(r.K1) {
			extra = append(extra, r.K1)
		}
	}
	slices.Sort(extra)
	for _, name := range extra {
		views = append(views, SegmentView{Name: name, Title: name})
	}
	days := q.Period.Days()
	for i := range views {
		v := &views[i]
		v.Size = int64(sizes[v.Name])
		// net[d] is entered - left on day d; after sums the days after the
		// period.
		net := map[string]int64{}
		var after int64
		for _, r := range rows {
			if r.Kind != KindSegment || r.K1 != v.Name {
				continue
			}
			var delta int64
			switch r.K3 {
			case segmentEntered:
				delta = r.N
				addTo(q, r, &v.Entered)
			case segmentLeft:
				delta = -r.N
				addTo(q, r, &v.Left)
			default:
				continue
			}
			switch {
			case r.Day > q.Period.To:
				after += delta
			case q.Period.Contains(r.Day):
				net[r.Day] += delta
			}
		}
		v.Series = make([]SegmentDay, len(days))
		size := v.Size - after
		for j := len(days) - 1; j >= 0; j-- {
			v.Series[j] = SegmentDay{Day: days[j], Size: size}
			size -= net[days[j]]
		}
	}
	out.Segments = views
	return out
}

// addTo adds r.N to the current or previous value of c.
func addTo(q Query, r RollupRow, c *Count) {
	switch {
	case q.Period.Contains(r.Day):
		c.Current += r.N
	case q.Previous.Contains(r.Day):
		c.Previous += r.N
	}
}

// Segments reads and composes the segment figures of storeHash (segments
// are store-wide: q.Channel is not used).
func (s *Service) Segments(ctx context.Context, storeHash string, q Query) (Segments, error) {
	var rows []RollupRow
	var sizes map[string]int
	err := parallel(
		func() (err error) {
			if rows, err = s.Source.Rollups(ctx, storeHash, 0, q.Previous.From, endOfTime, KindSegment); err != nil {
				err = fmt.Errorf("analytics: segment rollups: %w", err)
			}
			return err
		},
		func() (err error) {
			if sizes, err = s.Source.SegmentSizes(ctx, storeHash); err != nil {
				err = fmt.Errorf("analytics: segment sizes: %w", err)
			}
			return err
		},
	)
	if err != nil {
		return Segments{}, err
	}
	_, defs := s.flows().SegmentsFor(storeHash)
	titles := make([]SegmentTitle, 0, len(defs))
	for _, d := range defs {
		titles = append(titles, SegmentTitle{Name: d.Name, Title: d.BigCommerceName()})
	}
	return ComposeSegments(q, rows, sizes, titles), nil
}
