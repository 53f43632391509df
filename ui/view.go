package ui

import (
	"context"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"holdfast/backup"
	"holdfast/engine"
)

// databaseView is the main window's content for an open database: the tables, the records,
// the banner, the status bar, and the scheduler of its automatic backups.
type databaseView struct {
	m       *MainWindow
	db      *engine.DB
	tables  *widget.List
	names   []string
	browser *Browser
	status  *widget.Label
	// Under the tables: Include in Log File of the table shown (settingCheck is set while the
	// window sets it, not the person), and New Table....
	journaled      *widget.Check
	settingCheck   bool
	journalPending bool          // an Include in Log File change is under way
	noTables       *widget.Label // says how to make the first table
	tableForm      *tableForm
	root           fyne.CanvasObject
	updated        func()
	every          time.Duration
	stop           chan struct{}
	closing        sync.Once

	// The banner: what the user must know at once, with a button when there is something to
	// do about it (Back up now, Integrate, Turn on).
	banner       *fyne.Container
	bannerText   *widget.Label
	bannerButton *widget.Button
	bannerKind   bannerKind
	readOnlyFor  error // why the database was opened read-only (Config.ReadOnlyFor)

	// The scheduled backup running, shown in the status bar (not a modal): its bar, its
	// words and a Stop.
	sched      *backup.Scheduler
	schedOn    bool // its Run started (Close waits for Run)
	schedBar   *widget.ProgressBar
	schedLabel *widget.Label
	schedStop  *widget.Button
	schedBox   *fyne.Container
	schedMu    sync.Mutex
	schedCtl   context.CancelFunc
}

func newDatabaseView(m *MainWindow, cfg Config, path, status *widget.Label) *databaseView {
	updated := cfg.OnUpdate
	if updated == nil {
		updated = func() {}
	}
	db := cfg.DB
	v := &databaseView{m: m, db: db, browser: NewBrowser(db), status: status, updated: updated, every: cfg.StatusEvery, stop: make(chan struct{}),
		readOnlyFor: cfg.ReadOnlyFor}
	v.browser.OnLoaded = updated
	v.browser.SetWindow(m.Window)
	v.browser.chooser = m.chooser
	for _, t := range db.Catalog().Tables {
		v.names = append(v.names, t.Name)
	}
	v.tables = widget.NewList(func() int { return len(v.names) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis // a long name ends in "...", within the pane
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(v.names[i]) })
	v.tables.OnSelected = func(i widget.ListItemID) {
		v.browser.Show(v.names[i])
		v.showJournaled()
	}
	v.journaled = widget.NewCheck("Include in Log File", func(on bool) {
		if !v.settingCheck {
			v.setJournaled(on)
		}
	})
	v.journaled.Disable()
	newTable := widget.NewButton("New Table...", func() { v.tableForm = v.newTable() })
	v.noTables = widget.NewLabel("No tables yet: New Table... makes one.")
	v.noTables.Wrapping = fyne.TextWrapWord
	v.noTables.Hide()
	left := container.NewBorder(nil, container.NewVBox(v.noTables, widget.NewSeparator(), v.journaled, newTable), nil, nil, v.tables)
	split := container.NewHSplit(left, v.browser.Object())
	split.Offset = 0.2

	v.bannerText = widget.NewLabel("")
	v.bannerText.Wrapping = fyne.TextWrapWord
	v.bannerText.Importance = widget.DangerImportance
	v.bannerButton = widget.NewButton("", v.bannerPressed)
	v.bannerButton.Importance = widget.HighImportance
	v.bannerButton.Hide()
	v.banner = container.NewBorder(nil, nil, nil, container.NewVBox(v.bannerButton), v.bannerText)
	v.banner.Hide()

	v.schedBar = widget.NewProgressBar()
	v.schedLabel = widget.NewLabel("")
	v.schedLabel.Truncation = fyne.TextTruncateEllipsis
	v.schedStop = widget.NewButton("Stop", v.stopScheduled)
	v.schedBox = container.NewVBox(v.schedLabel, container.NewBorder(nil, nil, nil, v.schedStop, v.schedBar))
	v.schedBox.Hide()
	v.root = container.NewBorder(container.NewVBox(path, v.banner), container.NewVBox(v.schedBox, status), nil, nil, split)

	if cfg.Scheduler != nil {
		opts := *cfg.Scheduler
		inner := opts.Backup
		if inner == nil {
			inner = func(ctx context.Context) (*backup.Result, error) {
				return backup.Run(ctx, db, backup.Options{Progress: latestOnly(v.showScheduled)})
			}
		}
		opts.Backup = func(ctx context.Context) (*backup.Result, error) {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			v.schedMu.Lock()
			v.schedCtl = cancel
			v.schedMu.Unlock()
			defer func() {
				v.schedMu.Lock()
				v.schedCtl = nil
				v.schedMu.Unlock()
			}()
			return inner(ctx)
		}
		events := opts.Events
		opts.Events = func(e backup.Event) {
			v.scheduleEvent(e)
			if events != nil {
				events(e)
			}
		}
		v.sched = backup.NewScheduler(db, opts)
	}
	return v
}

// start reads the status line, shows the first table and starts the scheduler.
func (v *databaseView) start() {
	if len(v.names) > 0 {
		v.tables.Select(0) // its widgets change here, before any background read starts
	} else {
		v.browser.info.SetText("No tables yet.")
		v.noTables.Show()
		// A wrapped label knows its height once laid out at its width: twice, or it covers
		// Include in Log File under it.
		v.root.Refresh()
		v.root.Refresh()
	}
	v.refreshStatus()
	if v.sched != nil {
		v.schedOn = true
		go v.sched.Run(context.Background())
	}
	if v.every > 0 {
		go func() {
			t := time.NewTicker(v.every)
			defer t.Stop()
			for {
				select {
				case <-v.stop:
					return
				case <-t.C:
					v.refreshStatus()
				}
			}
		}()
	}
}

// close stops the view's background work; a scheduled backup running is stopped (1406).
func (v *databaseView) close() {
	v.closing.Do(func() {
		close(v.stop)
		if v.sched != nil && v.schedOn {
			go v.sched.Close() // it waits for a backup to stop: not on the Fyne thread
		}
	})
}

// closeAndWait stops the view and waits for its scheduler. Off the Fyne thread.
func (v *databaseView) closeAndWait() {
	v.close()
	if v.sched != nil && v.schedOn {
		v.sched.Close()
	}
}

// bannerKind is what the banner's button does.
type bannerKind int

const (
	bannerNone        bannerKind = iota
	bannerLogFailed              // 1274: make a backup
	bannerIncomplete             // operations of the log left out: integrate them
	bannerAutoOff                // 1401: back up now
	bannerBadSettings            // 2009: read-only until Database Settings... fixes the settings
	bannerMissed                 // 2018: a scheduled backup did not run; back up now
	bannerLogOff                 // no log: turn it on
)

// bannerFor is the warning the window shows for the state of db and of its scheduler, with the
// button's label ("" for none).
func bannerFor(db *engine.DB, sched *backup.SchedulerStatus, readOnlyFor error) (bannerKind, string, string) {
	st := db.LogStatus()
	switch {
	case readOnlyFor != nil:
		return bannerBadSettings, fmt.Sprintf("The database is open read-only (error %d): its settings file holds a value Holdfast cannot go by "+
			"where the log file is or what opening may do on its own. Reading goes on. Fix it in Database Settings... (shown in red there), "+
			"then OK: the database opens again for writing.", engine.CodeBadSetting), "Database Settings..."
	case st.Failed != nil:
		return bannerLogFailed, fmt.Sprintf("The log file %s is unavailable (error 1274): writes are refused, reading goes on. "+
			"Once its disk is back, make a backup: it starts a new log and writing resumes.", st.Path), "Back up now"
	case st.Incomplete != nil:
		return bannerIncomplete, fmt.Sprintf("The log holds %d operation(s) the data file lacks (%d to %d), not integrated: "+
			"the database is read-only until they are. Integrate them, or restore a backup if they are a mistake.",
			st.Incomplete.Operations, st.Incomplete.From, st.Incomplete.To), "Integrate"
	case sched != nil && sched.Disabled:
		return bannerAutoOff, fmt.Sprintf("Automatic backups are disabled (error 1401): %d attempts in a row failed (%s). "+
			"They start again after a successful backup, or when the app restarts.", sched.Attempts, engine.WindowText(sched.LastErr)), "Back up now"
	case sched != nil && !sched.Missed.IsZero():
		retry := "It is not tried again before the next scheduled time."
		if !sched.Next.IsZero() {
			retry = "It is tried again " + sched.Next.Format("Mon 2 Jan 15:04") + "."
		}
		return bannerMissed, fmt.Sprintf("The scheduled backup due %s did not run: Holdfast was not running then (error %d). %s "+
			"Back up now makes it at once.", sched.Missed.Format("Mon 2 Jan 15:04"), engine.CodeMissedBackup, retry), "Back up now"
	case !st.Use:
		return bannerLogOff, "The log is off: if the data file is damaged, what changed since the last backup is lost, and rollback " +
			"and activity analysis have nothing to go by. Turn on creates a log file (Database Settings..., Use Log).", "Turn on"
	}
	return bannerNone, "", ""
}

func (v *databaseView) bannerPressed() {
	switch v.bannerKind {
	case bannerLogFailed, bannerAutoOff, bannerMissed:
		v.m.backUpNow()
	case bannerIncomplete:
		v.m.integrate()
	case bannerBadSettings:
		v.m.OpenSettings()
	case bannerLogOff:
		v.m.OpenSettings()
		if sw := v.m.settings; sw != nil {
			sw.tabs.Select(sw.pages[pageConfiguration])
			sw.SetUseLog(true) // asks where to create the log file
		}
	}
}

// schedStatus is the scheduler's state, or nil without one.
func (v *databaseView) schedStatus() *backup.SchedulerStatus {
	if v.sched == nil {
		return nil
	}
	st := v.sched.Status()
	return &st
}

// refreshStatus reads the status line and the banner on a goroutine and shows them.
func (v *databaseView) refreshStatus() {
	background(func() {
		ss := v.schedStatus()
		line := statusLine(v.db, time.Now(), ss)
		kind, text, button := bannerFor(v.db, ss, v.readOnlyFor)
		do(func() {
			if line != v.status.Text {
				v.status.SetText(line) // read every few seconds: repainted only when it changed
			}
			if kind != v.bannerKind || text != v.bannerText.Text {
				v.bannerKind = kind
				v.bannerText.Importance = widget.DangerImportance
				if kind == bannerLogOff {
					v.bannerText.Importance = widget.WarningImportance // a choice, not a failure
				}
				v.bannerText.SetText(text)
				v.bannerButton.SetText(button)
				if button == "" {
					v.bannerButton.Hide()
				} else {
					v.bannerButton.Show()
				}
				if kind == bannerNone {
					v.banner.Hide()
				} else {
					v.banner.Show()
				}
				// A wrapped label knows its height once laid out at its width: twice.
				v.root.Refresh()
				v.root.Refresh()
			}
			v.updated()
		})
	})
}

// showScheduled shows a scheduled backup's progress in the status bar. On the Fyne thread.
func (v *databaseView) showScheduled(p backup.Progress) {
	if p.Total > 0 {
		v.schedBar.SetValue(float64(p.Done) / float64(p.Total))
	}
	text := "Scheduled backup: "
	if st := stepText(p); st != "" {
		text += st + ", "
	}
	v.schedLabel.SetText(text + progressText(p))
}

// stopScheduled stops the scheduled backup running (the status bar's Stop).
func (v *databaseView) stopScheduled() {
	v.schedMu.Lock()
	cancel := v.schedCtl
	v.schedMu.Unlock()
	if cancel != nil {
		v.schedStop.Disable()
		v.schedLabel.SetText("Stopping the scheduled backup...")
		cancel()
	}
}

// scheduleEvent shows what the scheduler reports: the progress in the status bar, a desktop
// notification for each result, an alert when a backup fails a second time in a row, and the
// 1401 banner. Called on the scheduler's goroutine.
func (v *databaseView) scheduleEvent(e backup.Event) {
	name := v.db.Name()
	notify := v.m.cfg.Notify
	if notify == nil {
		notify = func(title, body string) { v.m.app.SendNotification(fyne.NewNotification(title, body)) }
	}
	switch e.Kind {
	case backup.EventStarted:
		do(func() {
			v.schedBar.SetValue(0)
			v.schedLabel.SetText("Scheduled backup: starting...")
			v.schedStop.Enable()
			v.schedBox.Show()
			v.root.Refresh()
			v.updated()
		})
		return
	case backup.EventFinished:
		body := ResultSentence(e.Result, e.Err)
		title := "Backup of " + name + " done"
		if e.Err != nil {
			title = "Backup of " + name + " is partial"
		}
		notify(title, body)
	case backup.EventFailed:
		body := fmt.Sprintf("%s %s", ResultSentence(nil, e.Err), v.nextAttempt())
		notify("Backup of "+name+" failed", body)
		if e.Attempt >= 2 {
			do(func() {
				dialog.ShowError(fmt.Errorf("the scheduled backup of %s failed %d times in a row. %s", name, e.Attempt, body), v.m.Window)
			})
		}
	case backup.EventMissed:
		notify("Backup of "+name+" missed", fmt.Sprintf("error %d: %s. It counts as a failed backup.", engine.CodeOf(e.Err), engine.WindowText(e.Err)))
	case backup.EventDisabled:
		notify("Automatic backups of "+name+" are off", fmt.Sprintf("error %d: %s. Back up by hand to turn them on again.", engine.CodeOf(e.Err), engine.WindowText(e.Err)))
	}
	do(func() {
		v.schedBox.Hide()
		v.root.Refresh()
		v.updated()
	})
	v.refreshStatus()
}

// nextAttempt says when the scheduler tries again.
func (v *databaseView) nextAttempt() string {
	st := v.sched.Status()
	switch {
	case st.Disabled:
		return ""
	case st.Next.IsZero():
		return "No other backup is scheduled."
	}
	return "Next attempt: " + st.Next.Format("Mon 2 Jan 15:04") + "."
}
