package backup

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"holdfast/engine"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	waiting chan struct{} // a waiter was registered
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(t time.Time) *fakeClock {
	return &fakeClock{now: t, waiting: make(chan struct{}, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, fakeWaiter{c.now.Add(d), ch})
	c.waiting <- struct{}{}
	return ch
}

// advanceTo moves the clock and fires the timers that are due.
func (c *fakeClock) advanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(t) {
			w.ch <- t
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

type schedHarness struct {
	t      *testing.T
	clock  *fakeClock
	events chan Event
	sched  *Scheduler
	calls  chan struct{}
	fail   atomic.Pointer[func() error]
}

func startScheduler(t *testing.T, db *engine.DB, now time.Time, fail func() error) *schedHarness {
	h := &schedHarness{t: t, clock: newFakeClock(now), events: make(chan Event, 100), calls: make(chan struct{}, 100)}
	h.fail.Store(&fail)
	h.sched = NewScheduler(db, SchedulerOptions{Clock: h.clock, Events: func(e Event) { h.events <- e },
		Backup: func(ctx context.Context) (*Result, error) {
			h.calls <- struct{}{}
			if err := (*h.fail.Load())(); err != nil {
				return nil, err
			}
			return &Result{Number: 1}, nil
		}})
	go h.sched.Run(context.Background())
	t.Cleanup(h.sched.Close)
	h.waitTimer()
	return h
}

func (h *schedHarness) waitTimer() {
	select {
	case <-h.clock.waiting:
	case <-time.After(5 * time.Second):
		h.t.Fatal("the scheduler did not wait for its next run")
	}
}

func (h *schedHarness) event(kind EventKind) Event {
	h.t.Helper()
	for {
		select {
		case e := <-h.events:
			if e.Kind == kind {
				return e
			}
		case <-time.After(5 * time.Second):
			h.t.Fatalf("no event %d", kind)
		}
	}
}

func configure(t *testing.T, db *engine.DB, kv ...string) {
	t.Helper()
	s := db.Settings()
	for i := 0; i < len(kv); i += 2 {
		if err := s.Set(kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.UpdateSettings(s); err != nil {
		t.Fatal(err)
	}
}

var paris, _ = time.LoadLocation("Europe/Paris")

func TestSchedulerRunsAtItsTime(t *testing.T) {
	db := newDB(t)
	configure(t, db, "scheduler.mode", "daily", "scheduler.time", "23:00")
	h := startScheduler(t, db, time.Date(2026, 11, 22, 22, 0, 0, 0, paris), func() error { return nil })
	if st := h.sched.Status(); !st.Next.Equal(time.Date(2026, 11, 22, 23, 0, 0, 0, paris)) || st.Schedule != "Every day at 23:00" {
		t.Fatalf("status %+v", st)
	}
	h.clock.advanceTo(time.Date(2026, 11, 22, 22, 59, 0, 0, paris))
	select {
	case <-h.calls:
		t.Fatal("ran early")
	case <-time.After(50 * time.Millisecond):
	}
	h.clock.advanceTo(time.Date(2026, 11, 22, 23, 0, 0, 0, paris))
	h.event(EventFinished)
	h.waitTimer()
	if next := h.sched.Status().Next; !next.Equal(time.Date(2026, 11, 23, 23, 0, 0, 0, paris)) {
		t.Fatalf("next run %v", next)
	}
}

// Retry after X; after N failed attempts automatic backups stop with 1401 until a manual
// backup succeeds.
func TestSchedulerFailurePolicy(t *testing.T) {
	db := newDB(t)
	configure(t, db, "scheduler.mode", "daily", "scheduler.time", "23:00", "failure.mode", "retry",
		"failure.retryAfter", "30s", "failure.maxAttemptsEnabled", "true", "failure.maxAttempts", "3")
	start := time.Date(2026, 11, 22, 22, 59, 0, 0, paris)
	h := startScheduler(t, db, start, func() error { return errors.New("disk gone") })
	at := time.Date(2026, 11, 22, 23, 0, 0, 0, paris)
	for attempt := 1; attempt <= 3; attempt++ {
		h.clock.advanceTo(at)
		e := h.event(EventFailed)
		if e.Attempt != attempt {
			t.Fatalf("attempt %d reported as %d", attempt, e.Attempt)
		}
		if attempt < 3 {
			h.waitTimer()
			if next := h.sched.Status().Next; !next.Equal(at.Add(30 * time.Second)) {
				t.Fatalf("retry at %v, want %v", next, at.Add(30*time.Second))
			}
			at = at.Add(30 * time.Second)
		}
	}
	e := h.event(EventDisabled)
	if engine.CodeOf(e.Err) != engine.CodeMaxAttempts {
		t.Fatalf("disabled with %v", e.Err)
	}
	if st := h.sched.Status(); !st.Disabled || !st.Next.IsZero() {
		t.Fatalf("status %+v", st)
	}
	ok := func() error { return nil }
	h.fail.Store(&ok)
	h.sched.ManualBackupSucceeded()
	h.waitTimer()
	if st := h.sched.Status(); st.Disabled || st.Next.IsZero() {
		t.Fatalf("after a manual backup: %+v", st)
	}
}

// With backupOnlyIfModified, a scheduled time with no change since the last backup is
// postponed, not run, and the journal says so.
func TestSchedulerPostponesWhenUnchanged(t *testing.T) {
	db := newDB(t)
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatal(err)
	}
	configure(t, db, "scheduler.mode", "hourly", "backupOnlyIfModified", "true")
	h := startScheduler(t, db, time.Now(), func() error { return nil })
	h.clock.advanceTo(time.Now().Add(2 * time.Hour))
	h.event(EventPostponed)
	select {
	case <-h.calls:
		t.Fatal("a backup ran with nothing changed")
	default:
	}
	b, err := os.ReadFile(engine.BackupJournalPath(db.Dir()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "postponed") {
		t.Errorf("the journal does not say the backup was postponed:\n%s", b)
	}
}

// A scheduled time that passed while the application was closed counts as a failed backup at
// the next start, and the retry policy applies at once.
func TestSchedulerMissedRun(t *testing.T) {
	db := newDB(t)
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatal(err)
	}
	hist, err := LoadHistory(Destination(db))
	if err != nil {
		t.Fatal(err)
	}
	hist.Operations[0].Start = time.Date(2026, 11, 20, 23, 0, 0, 0, paris)
	if err := hist.save(Destination(db)); err != nil {
		t.Fatal(err)
	}
	configure(t, db, "scheduler.mode", "daily", "scheduler.time", "23:00", "failure.mode", "retry", "failure.retryAfter", "1m")
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, paris)
	h := startScheduler(t, db, now, func() error { return nil })
	e := h.event(EventMissed)
	if engine.CodeOf(e.Err) != engine.CodeMissedBackup {
		t.Fatalf("missed event %v", e.Err)
	}
	st := h.sched.Status()
	if !st.Next.Equal(now.Add(time.Minute)) {
		t.Fatalf("retry at %v", st.Next)
	}
	if due := time.Date(2026, 11, 21, 23, 0, 0, 0, paris); !st.Missed.Equal(due) {
		t.Errorf("status says %v missed, want %v", st.Missed, due)
	}
	h.clock.advanceTo(now.Add(time.Minute))
	h.event(EventFinished)
	if st := h.sched.Status(); !st.Missed.IsZero() {
		t.Errorf("after a backup the status still says %v missed", st.Missed)
	}
}
