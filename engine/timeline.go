package engine

import "holdfast/journal"

// OpRange is a range of operation numbers, From to To included.
type OpRange struct{ From, To uint64 }

// Contains reports whether op is in r.
func (r OpRange) Contains(op uint64) bool { return op >= r.From && op <= r.To }

// skipSource reads a log leaving out the operations of the ranges given: each record in one is
// replaced by a record that changes nothing (an Update context of no one) under the same
// number, so that the operation numbers go on and the next log of the chain follows. A
// transaction whose validation is left out is never applied.
type skipSource struct {
	src  recordSource
	skip []OpRange
}

func skipping(src recordSource, skip []OpRange) recordSource {
	if len(skip) == 0 {
		return src
	}
	return &skipSource{src: src, skip: skip}
}

func (s *skipSource) Next() (journal.Record, error) {
	rec, err := s.src.Next()
	if err != nil {
		return rec, err
	}
	for _, r := range s.skip {
		if r.Contains(rec.Op) {
			return journal.Record{Op: rec.Op, Time: rec.Time, Action: journal.UpdateContext, Process: 0}, nil
		}
	}
	return rec, nil
}

// Offset is how far the log has been read (for the progress).
func (s *skipSource) Offset() int64 {
	if o, ok := s.src.(interface{ Offset() int64 }); ok {
		return o.Offset()
	}
	return 0
}
