package backup

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"holdfast/engine"
	"holdfast/settings"
)

// Clock is the scheduler's time: the real one, or a fake in tests.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// EventKind says what a scheduler event reports.
type EventKind int

// Scheduler events.
const (
	EventStarted   EventKind = iota // a scheduled backup starts
	EventFinished                   // it succeeded (Result set; Err set too when partial)
	EventFailed                     // it failed (Err, Attempt)
	EventPostponed                  // nothing changed since the last backup (backupOnlyIfModified)
	EventMissed                     // the application was not running at a scheduled time
	EventDisabled                   // too many failed attempts: automatic backups are off (1401)
)

// Event is what the scheduler tells the application (status bar, notifications, alerts).
type Event struct {
	Kind    EventKind
	Time    time.Time
	Attempt int // failed attempts in a row, counting this one
	Result  *Result
	Err     error
}

// SchedulerOptions tune a Scheduler; the zero value uses the real clock and Run.
type SchedulerOptions struct {
	Clock  Clock
	Backup func(ctx context.Context) (*Result, error) // default: Run with the database's settings
	Events func(Event)                                // called from the scheduler's goroutine
}

// Scheduler runs the automatic backups of a database (S6.7): at the times the settings give,
// postponed when nothing changed (if asked), retried after a failure, and switched off after
// too many failures (1401) until a restart or a successful manual backup. It owns its
// goroutine: Run(ctx) until Close. Its methods are safe for concurrent use.
type Scheduler struct {
	db    *engine.DB
	opts  SchedulerOptions
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	close sync.Once

	mu       sync.Mutex
	last     time.Time // the last scheduled run (or missed or postponed one)
	retryAt  time.Time // zero: no retry pending
	attempts int
	disabled bool
	lastErr  error
	missed   time.Time // the scheduled time missed, while that is the last failure
}

// NewScheduler prepares a scheduler for db; nothing runs before Run.
func NewScheduler(db *engine.DB, opts SchedulerOptions) *Scheduler {
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.Backup == nil {
		opts.Backup = func(ctx context.Context) (*Result, error) { return Run(ctx, db, Options{}) }
	}
	return &Scheduler{db: db, opts: opts, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// SchedulerStatus is what the status bar shows.
type SchedulerStatus struct {
	Next     time.Time // zero: nothing scheduled
	Disabled bool      // 1401: automatic backups are off
	Attempts int       // failed attempts in a row
	LastErr  error
	Missed   time.Time // the last failure is this scheduled time, missed (2018); zero: it is not
	Schedule string    // the schedule in words
}

// Status returns the scheduler's state.
func (s *Scheduler) Status() SchedulerStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := SchedulerStatus{Disabled: s.disabled, Attempts: s.attempts, LastErr: s.lastErr, Missed: s.missed}
	if v := s.db.Values(); v.ScheduleErr == nil {
		st.Schedule = v.Schedule.String()
	}
	st.Next, _ = s.nextLocked()
	return st
}

// Changed tells the scheduler that the settings changed: it computes its next run again.
func (s *Scheduler) Changed() { s.poke() }

// ManualBackupSucceeded ends the 1401 state and the failure count (S6.7).
func (s *Scheduler) ManualBackupSucceeded() {
	s.mu.Lock()
	s.disabled, s.attempts, s.retryAt, s.lastErr, s.missed = false, 0, time.Time{}, nil, time.Time{}
	s.mu.Unlock()
	s.poke()
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Close stops the scheduler and waits for it (a running backup is stopped: 1406).
func (s *Scheduler) Close() {
	s.close.Do(func() { close(s.stop) })
	<-s.done
}

// Run runs scheduled backups until ctx ends or Close.
func (s *Scheduler) Run(ctx context.Context) error {
	defer close(s.done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	s.checkMissed()
	for {
		s.mu.Lock()
		next, ok := s.nextLocked()
		s.mu.Unlock()
		var timer <-chan time.Time
		if ok {
			timer = s.opts.Clock.After(max(0, next.Sub(s.opts.Clock.Now())))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-timer:
			s.fire(ctx)
		}
	}
}

// nextLocked is the next run: a pending retry, else the schedule's next time.
func (s *Scheduler) nextLocked() (time.Time, bool) {
	if s.disabled {
		return time.Time{}, false
	}
	if !s.retryAt.IsZero() {
		return s.retryAt, true
	}
	v := s.db.Values()
	if v.ScheduleErr != nil {
		return time.Time{}, false
	}
	return v.Schedule.Next(s.last, s.opts.Clock.Now())
}

func (s *Scheduler) emit(e Event) {
	e.Time = s.opts.Clock.Now()
	if s.opts.Events != nil {
		s.opts.Events(e)
	}
}

// checkMissed counts a scheduled time that passed while the application was not running as a
// failed backup (S6.7), so the failure policy applies at once.
func (s *Scheduler) checkMissed() {
	v := s.db.Values()
	if v.ScheduleErr != nil {
		return
	}
	sc := v.Schedule
	hist, err := LoadHistory(v.DestinationFor(s.db.Dir()))
	if err != nil {
		return
	}
	now := s.opts.Clock.Now()
	last := hist.Last()
	if last == nil {
		s.mu.Lock()
		s.last = now // never backed up: the schedule starts from now
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	s.last = last.Start
	s.mu.Unlock()
	if at, missed := sc.Missed(last.Start, now); missed {
		err := &engine.Error{Code: engine.CodeMissedBackup, Op: "scheduled backup", Err: fmt.Errorf("the backup due at %s did not run", at.Format("2006-01-02 15:04"))}
		note(s.db.Dir(), true, true, "Scheduled backup missed: %v", err)
		s.emit(Event{Kind: EventMissed, Err: err})
		s.failed(v, at, err)
	}
}

// fire runs one scheduled backup. Whether it is postponed and what a failure leads to follow
// the settings as they were when it fired; the backup reads them again as it starts.
func (s *Scheduler) fire(ctx context.Context) {
	now := s.opts.Clock.Now()
	v := s.db.Values()
	if v.BackupOnlyIfModified && !s.db.ChangedSinceBackup() {
		note(s.db.Dir(), v.Journal.Verbose, true, "Scheduled backup postponed: the data has not changed since the last backup.")
		s.mu.Lock()
		s.last, s.retryAt = now, time.Time{}
		s.mu.Unlock()
		s.emit(Event{Kind: EventPostponed})
		return
	}
	s.emit(Event{Kind: EventStarted})
	res, err := s.opts.Backup(ctx)
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return // closing: the stop is not a failure of the schedule
	case engine.CodeOf(err) == engine.CodeBusy:
		// A manual backup is running: try again in a minute, it is not a failure.
		s.mu.Lock()
		s.retryAt = now.Add(time.Minute)
		s.mu.Unlock()
		return
	case res != nil: // success, or partial (1430): the archive is there, retrying would not help
		s.mu.Lock()
		s.last, s.retryAt, s.attempts, s.lastErr, s.missed = now, time.Time{}, 0, err, time.Time{}
		s.mu.Unlock()
		s.emit(Event{Kind: EventFinished, Result: res, Err: err})
	default:
		s.failed(v, now, err)
	}
}

// failed applies the failure policy (S6.7) of the settings v to a failed or missed scheduled
// backup.
func (s *Scheduler) failed(v settings.Values, at time.Time, err error) {
	f := v.Failure
	s.mu.Lock()
	s.attempts++
	s.lastErr = err
	s.missed = time.Time{}
	if engine.CodeOf(err) == engine.CodeMissedBackup {
		s.missed = at
	}
	attempt := s.attempts
	s.last = at
	if f.MaxAttemptsEnabled && attempt >= f.MaxAttempts {
		s.disabled, s.retryAt = true, time.Time{}
		s.mu.Unlock()
		s.emit(Event{Kind: EventFailed, Attempt: attempt, Err: err})
		off := &engine.Error{Code: engine.CodeMaxAttempts, Op: "scheduled backup", Err: fmt.Errorf("%d attempts failed", attempt)}
		note(s.db.Dir(), true, true, "Automatic backups disabled: %v", off)
		s.emit(Event{Kind: EventDisabled, Attempt: attempt, Err: off})
		return
	}
	if f.Mode == settings.FailureRetry {
		s.retryAt = s.opts.Clock.Now().Add(f.RetryAfter)
	} else {
		s.retryAt = time.Time{}
	}
	s.mu.Unlock()
	s.emit(Event{Kind: EventFailed, Attempt: attempt, Err: err})
}
