package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"

	"holdfast/backup"
	"holdfast/engine"
)

// BackupFunc runs a backup, reporting progress; cancelling ctx stops it (1406).
type BackupFunc func(ctx context.Context, progress func(backup.Progress)) (*backup.Result, error)

// DatabaseBackup is the BackupFunc of db with its settings.
func DatabaseBackup(db *engine.DB) BackupFunc {
	return func(ctx context.Context, progress func(backup.Progress)) (*backup.Result, error) {
		return backup.Run(ctx, db, backup.Options{Progress: progress})
	}
}

// Progress is the modal thermometer of a running backup (S6.5): bytes done and total, the item
// being written, speed and time left, a Stop that stops at once, then the result in a sentence.
// The backup runs on a goroutine; the window stays responsive all along.
type Progress struct {
	dlg    *dialog.CustomDialog
	bar    *widget.ProgressBar
	step   *widget.Label // the step under way, for work made of steps
	detail *widget.Label
	item   *widget.Label
	result *widget.Label
	stop   *widget.Button
	close  *widget.Button
	body   *fyne.Container
	cancel context.CancelFunc
	work   *work // it, among the work running

	// done is called on the Fyne thread when the work has ended.
	done  func()
	ended bool
}

// work is something running that closing its window or quitting asks about first: a Progress's
// work, or work without one (a rollback, a repair, an open, New Log File).
type work struct {
	title string      // what runs, for the question or a refusal
	win   fyne.Window // the window it runs over
	stop  func()      // stops it at once; nil: it cannot be stopped halfway
}

// running is the work running, on the Fyne thread.
var running = map[*work]bool{}

// trackWork counts work as running over win until its untrack; both on the Fyne thread.
func trackWork(win fyne.Window, title string, stop func()) *work {
	w := &work{title: title, win: win, stop: stop}
	running[w] = true
	return w
}

// untrack ends what trackWork counted.
func (w *work) untrack() { delete(running, w) }

// runningIn is the work running over win, or over any window when win is nil.
func runningIn(win fyne.Window) []*work {
	var out []*work
	for w := range running {
		if win == nil || w.win == win {
			out = append(out, w)
		}
	}
	return out
}

// busyWith names the work running, except one, for a refusal to close db under it: what the
// windows run, or else a backup of db running (one no window started). On the Fyne thread.
func busyWith(db *engine.DB, except *work) []string {
	var names []string
	for _, w := range runningIn(nil) {
		if w != except {
			names = append(names, w.title)
		}
	}
	if len(names) == 0 && db != nil && db.BackupRunning() {
		names = append(names, "a backup of "+db.Name())
	}
	return names
}

// StartBackup shows the progress of run over w and starts it; done, when set, is called on the
// Fyne thread with its outcome. On the Fyne thread.
func StartBackup(w fyne.Window, title string, run BackupFunc, done func(*backup.Result, error)) *Progress {
	var res *backup.Result
	var err error
	return startWork(w, title, true, func(ctx context.Context, progress func(backup.Progress)) (string, error) {
		res, err = run(ctx, progress)
		return ResultSentence(res, err), err
	}, func() {
		if done != nil {
			done(res, err)
		}
	})
}

// firstFrame is how long work waits after its progress dialog is shown (see startWork).
var firstFrame = 80 * time.Millisecond

// workFunc is work shown by a Progress: it reports progress, stops when ctx is cancelled, and
// says how it ended in a sentence.
type workFunc func(ctx context.Context, progress func(backup.Progress)) (string, error)

// startWork shows the progress of run over w and starts it on a goroutine; stoppable shows a
// Stop that cancels its context. On the Fyne thread.
func startWork(w fyne.Window, title string, stoppable bool, run workFunc, done func()) *Progress {
	unfocusForWork(w)
	p := &Progress{done: done}
	p.bar = widget.NewProgressBar()
	p.step = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.step.Hide()
	p.detail = widget.NewLabel("Starting...")
	p.item = widget.NewLabel("")
	p.item.Truncation = fyne.TextTruncateEllipsis
	p.result = widget.NewLabel("")
	p.result.Wrapping = fyne.TextWrapWord
	p.result.Hide()
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	var stop func()
	if stoppable {
		stop = cancel
	}
	p.work = trackWork(w, title, stop)
	p.stop = widget.NewButton("Stop", func() {
		p.stop.Disable()
		p.detail.SetText("Stopping...")
		cancel()
	})
	if !stoppable {
		p.stop.Hide()
	}
	p.close = widget.NewButton("Close", func() { p.dlg.Hide() })
	p.close.Hide()
	p.body = container.NewVBox(p.bar, p.step, p.detail, p.item, p.result, container.NewHBox(p.stop, p.close))
	p.dlg = dialog.NewCustomWithoutButtons(title, p.body, w)
	p.dlg.Resize(fyne.NewSize(520, 220))
	p.dlg.Show()
	background(func() {
		// The work starts once the dialog has had a frame to show itself: the first frame of a
		// dialog is the dearest one, and the start of a backup takes every core at once.
		fyne.DoAndWait(func() {})
		time.Sleep(firstFrame)
		sentence, err := run(ctx, latestOnly(p.show))
		cancel()
		do(func() { p.finish(sentence, err) })
	})
	return p
}

// Stop stops the work (what the Stop button does).
func (p *Progress) Stop() { p.stop.OnTapped() }

// Result is the sentence shown once the backup ended ("" while it runs).
func (p *Progress) Result() string { return p.result.Text }

func (p *Progress) show(pr backup.Progress) {
	if p.ended {
		return // a report that waited for the thread past the end
	}
	if pr.Total > 0 {
		p.bar.SetValue(float64(pr.Done) / float64(pr.Total))
	}
	text := progressText(pr)
	if p.stop.Disabled() {
		text = "Stopping... " + text
	}
	p.detail.SetText(text)
	p.item.SetText(pr.Item)
	if st := stepText(pr); st != "" {
		p.step.SetText(st)
		if !p.step.Visible() {
			p.step.Show()
			p.dlg.Resize(fyne.NewSize(520, 250)) // one line more, laid out again
		}
	}
}

// stepText names the step under way of a backup ("Step 2 of 3: checking the archive"), or "".
func stepText(pr backup.Progress) string {
	if pr.Step == "" {
		return ""
	}
	return fmt.Sprintf("Step %d of %d: %s", pr.StepNum, pr.Steps, strings.ToLower(pr.Step[:1])+pr.Step[1:])
}

// progressText is how far work is, in words: the bytes of the step under way (of the whole
// work when it has no steps), the speed, and the time left, which counts every step to come.
func progressText(pr backup.Progress) string {
	done, total := pr.Done, pr.Total
	if pr.Step != "" {
		done, total = pr.StepDone, pr.StepTotal
	}
	text := fmt.Sprintf("%s of %s", humanize.Bytes(uint64(done)), humanize.Bytes(uint64(total)))
	if pr.Speed > 0 {
		text += fmt.Sprintf(", %s/s", humanize.Bytes(uint64(pr.Speed)))
	}
	switch {
	case pr.Left >= time.Second:
		text += fmt.Sprintf(", about %s left", pr.Left.Round(time.Second))
	case pr.Left > 0:
		text += ", about a second left"
	}
	return text
}

func (p *Progress) finish(sentence string, err error) {
	p.ended = true
	p.work.untrack()
	p.stop.Hide()
	p.step.Hide()
	p.detail.Hide()
	p.item.Hide()
	if err == nil {
		p.bar.SetValue(1)
	}
	p.result.SetText(sentence)
	p.result.Show()
	p.close.Show()
	// A wrapped label knows its height only once laid out at its width: lay out twice.
	p.body.Refresh()
	p.dlg.Resize(fyne.NewSize(520, 240))
	p.body.Refresh()
	if p.done != nil {
		p.done()
	}
}

// ResultSentence says how a backup ended, in a sentence a person reads.
func ResultSentence(res *backup.Result, err error) string {
	switch code := engine.CodeOf(err); {
	case err == nil:
		return fmt.Sprintf("Backup %d done: %s (%s) in %s.", res.Number, res.Archive, humanize.Bytes(uint64(res.Size)), res.Duration.Round(100*time.Millisecond))
	case code == engine.CodeBackupInterrupted:
		return "Backup stopped: nothing was written and the database is unchanged (1406)."
	case code == engine.CodeAttachmentMissing && res != nil:
		return fmt.Sprintf("Backup %d is partial: %d attachment(s) were not found (1430). %s", res.Number, len(res.Missing), engine.WindowText(err))
	default:
		return fmt.Sprintf("The backup failed (%d): %s", code, engine.WindowText(err))
	}
}

// unfocusForWork takes the focus from the field that has it when work starts: a focused
// field's cursor blinks by fading, which repaints the whole window several times a second,
// and while the work takes the processors each of those frames keeps the window's thread
// busy for 100-300 ms (software rendering, bench/results.md).
func unfocusForWork(w fyne.Window) { w.Canvas().Unfocus() }
