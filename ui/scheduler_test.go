package ui

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"holdfast/backup"
	"holdfast/engine"
)

// stepClock is the scheduler's clock in tests: every wait ends when the test says so.
type stepClock struct {
	mu   sync.Mutex
	now  time.Time
	fire chan time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) After(time.Duration) <-chan time.Time { return c.fire }

// tick moves the clock on by d and ends the scheduler's wait.
func (c *stepClock) tick(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	c.mu.Unlock()
	c.fire <- now
}

type notes struct {
	mu   sync.Mutex
	list []string
}

func (n *notes) add(title, body string) {
	n.mu.Lock()
	n.list = append(n.list, title+": "+body)
	n.mu.Unlock()
}

func (n *notes) all() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.list, "\n")
}

// Scheduled backups run in the window: their progress in the status bar with a Stop that
// stops them, a notification for each failure, an alert at the second failure in a row, then
// the 1401 banner, whose Back up now runs a backup that turns automatic backups on again.
func TestSchedulerInTheWindow(t *testing.T) {
	a := newApp(t)
	db := browsedDB(t, 50)
	s := db.Settings()
	for k, v := range map[string]string{"scheduler.mode": "hourly", "failure.maxAttemptsEnabled": "true", "failure.maxAttempts": "2", "failure.mode": "retry"} {
		if err := s.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.UpdateSettings(s); err != nil {
		t.Fatal(err)
	}
	clk := &stepClock{now: time.Date(2026, 12, 1, 9, 30, 0, 0, time.Local), fire: make(chan time.Time)}
	var n notes
	w := newWatcher()
	var m *MainWindow
	gate := make(chan struct{})
	calls := 0
	run := func(ctx context.Context) (*backup.Result, error) {
		calls++
		if calls == 1 {
			latestOnly(m.view.showScheduled)(backup.Progress{Done: 300e6, Total: 1e9, Left: 7 * time.Second})
			close(gate)
			<-ctx.Done()
			return nil, &engine.Error{Code: engine.CodeBackupInterrupted, Op: "backup", Err: ctx.Err()}
		}
		return nil, &engine.Error{Code: engine.CodeDestination, Op: "backup", Err: errors.New("the destination disk is gone")}
	}
	m = newMainUI(a, Config{DBPath: db.Dir(), Name: db.Name(), DB: db, OnUpdate: w.update, Notify: n.add,
		Scheduler: &backup.SchedulerOptions{Clock: clk, Backup: run}})
	m.Show()
	defer m.Close()
	onUI(m.Start)
	waitFor(t, w, "the next backup in the status bar", func() bool {
		return strings.Contains(m.view.status.Text, "Next backup: Tue 1 Dec 10:00")
	})

	go clk.tick(30 * time.Minute)
	<-gate
	waitFor(t, w, "the progress in the status bar", func() bool {
		return m.view.schedBox.Visible() && strings.Contains(m.view.schedLabel.Text, "300 MB of 1.0 GB")
	})
	saveCapture(t, m.Window, filepath.Join("testdata", "ui", "scheduled_progress.png"))
	if m.Window.Canvas().Overlays().Top() != nil {
		t.Error("a scheduled backup shows a modal")
	}
	// Quitting meanwhile asks first, naming the scheduled backup; Keep running keeps it.
	onUI(m.Quit)
	if words := overlayWords(m.Window); !strings.Contains(words, "a scheduled backup of "+db.Name()) {
		t.Errorf("quitting during a scheduled backup: %q", words)
	}
	pressOverlay(t, m.Window, "Keep running")
	onUI(func() { test.Tap(m.view.schedStop) })
	waitFor(t, w, "the failure notified", func() bool { return strings.Contains(n.all(), "failed") && !m.view.schedBox.Visible() })
	if !strings.Contains(n.all(), "1406") || !strings.Contains(n.all(), "Next attempt") {
		t.Errorf("notification: %s", n.all())
	}
	if overlayWords(m.Window) != "" {
		t.Errorf("an alert after the first failure: %s", overlayWords(m.Window))
	}

	go clk.tick(10 * time.Minute)
	waitFor(t, w, "the 1401 banner", func() bool { return strings.Contains(m.Banner(), "1401") })
	if words := overlayWords(m.Window); !strings.Contains(words, "failed 2 times") || !strings.Contains(words, "1407") {
		t.Errorf("alert at the second failure: %q", words)
	}
	if all := n.all(); !strings.Contains(all, "are off") || !strings.Contains(all, "1401") {
		t.Errorf("notifications: %s", all)
	}
	onUI(func() { m.view.status.Refresh() })
	waitFor(t, w, "automatic backups off in the status bar", func() bool {
		return strings.Contains(m.view.status.Text, "automatic backups off (1401)")
	})
	saveCapture(t, m.Window, filepath.Join("testdata", "ui", "automatic_backups_off.png"))

	onUI(func() { m.BannerAction() })
	waitFor(t, w, "the banner gone after the manual backup", func() bool { return m.Banner() == "" && m.BackupWindow() != nil })
	if st := m.view.sched.Status(); st.Disabled || st.Attempts != 0 {
		t.Errorf("scheduler after a manual backup: %+v", st)
	}
	h, err := backup.LoadHistory(backup.Destination(db))
	if err != nil || h.Last() == nil || h.Last().Status != backup.StatusSuccess {
		t.Fatalf("the banner's backup: %+v %v", h, err)
	}
}
