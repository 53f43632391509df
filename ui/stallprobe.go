package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
)

// The stall probe is a diagnostic for the benchmark of the window's responsiveness
// (bench/stall_test.go), not a feature. The engine and the backup must never block the Fyne
// thread: everything they do runs on goroutines and only small updates hop onto that thread
// (do.go). Whether that holds is seen from outside the code: the probe hands a tiny function to
// the Fyne thread every 10 ms and measures how long each one waits before it runs, which is
// how long an update handed over (a progress report, a result) would have waited at that
// moment. It hands the next one only once the last one ran: Fyne's loop runs one handed
// function per turn, between frames, so probes handed over while the thread is slow would
// queue behind each other and measure their own queue (a window repainted without pause by an
// animation fell tens of seconds behind that way, with only the probe in its queue).
//
// It runs only when HOLDFAST_STALL_PROBE names a file; without the variable nothing starts.
// The file holds one JSON line (stallReport), replaced every second (a temporary file renamed
// over it, so that a reader never sees half a line) and once more when the app quits.
//
// It also says where the thread waited: a watchdog looks every 20 ms at the function handed
// over and not run yet, and once it has waited more than 100 ms takes the stacks of every
// goroutine, once per stall (and once more if it lasts a second), and appends them with the
// wait and the time to "<file>.stalls", Fyne's own goroutine first: the one that runs the
// handed functions and paints, so what it is doing is what kept the others waiting. When the
// thread has caught up, a line gives the stall's longest wait. The first stallKeep stalls are
// kept, then a line says that later ones are not. Taking the stacks stops the program for a
// moment: a diagnostic to find the cause of a stall, not something to leave on.

// stallProbeEnv is the environment variable that names the probe's file.
const stallProbeEnv = "HOLDFAST_STALL_PROBE"

const (
	stallProbeEvery = 10 * time.Millisecond // a function handed over this often
	stallProbeWrite = time.Second           // the file replaced this often

	stallWatchEvery = 20 * time.Millisecond  // the watchdog looks this often
	stallLimit      = 100 * time.Millisecond // a wait longer than this is a stall
	stallAgain      = time.Second            // the stacks taken again when it lasts this long
	stallKeep       = 20                     // the stalls whose stacks are kept
	stallStackMax   = 16 << 20               // at most this much of the stacks, per stall
)

// fyneLoop names the function of Fyne's goroutine (the app's main one, locked to the main OS
// thread): it runs the functions handed over and paints the windows.
const fyneLoop = "glfw.(*gLDriver).runGL("

// startStallProbe starts the probe when HOLDFAST_STALL_PROBE names a file, once the app
// exists (fyne.Do needs its driver), and returns what stops it and writes the last line.
// Without the variable it starts nothing and stop does nothing.
func startStallProbe() (stop func()) {
	path := os.Getenv(stallProbeEnv)
	if path == "" {
		return func() {}
	}
	p := newStallProbe(path, fyne.Do) // fyne.Do, not do(): the thread itself, not uiMu too
	p.start(stallProbeEvery, stallProbeWrite)
	return p.stop
}

// stallProbe measures the delay of functions handed to a thread by hand (fyne.Do in the app).
type stallProbe struct {
	path    string
	hand    func(func())
	quit    chan struct{}
	stopped sync.Once
	wg      sync.WaitGroup
	pending atomic.Int64 // handed over, not run yet
	warned  bool         // a failed write was reported (only the writer touches it)

	// Only the watchdog touches these.
	loop      string // a line of the probed goroutine's stack (fyneLoop in the app)
	keep      int    // the stalls whose stacks are kept
	stalls    int    // stalls seen
	inStall   bool   // the function handed over has waited past stallLimit
	again     bool   // the stacks of this stall were taken again, past stallAgain
	stallWarn bool   // a failed append was reported

	mu      sync.Mutex
	every   time.Duration
	began   time.Time // when the thread first ran one: probing starts there
	last    time.Time // the previous run
	count   int64
	max     time.Duration
	maxAt   time.Time
	maxGap  time.Duration
	gapAt   time.Time
	delays  stallHist
	gaps    stallHist
	waiting time.Time     // when the function not run yet was handed over (zero: none)
	worst   time.Duration // the longest wait since the watchdog last reset it
}

func newStallProbe(path string, hand func(func())) *stallProbe {
	return &stallProbe{path: path, hand: hand, quit: make(chan struct{}), loop: fyneLoop, keep: stallKeep}
}

// start begins handing a function over every `every`, writing the file every `write` and
// watching for stalls.
func (p *stallProbe) start(every, write time.Duration) {
	p.every = every
	p.wg.Add(3)
	go p.handOver(every)
	go p.writer(write)
	go p.watch(stallWatchEvery)
}

// stop ends the probing and writes the last line. Functions still queued may run later; they
// count only if they run before the last line is made.
func (p *stallProbe) stop() {
	p.stopped.Do(func() {
		close(p.quit)
		p.wg.Wait()
		p.write(true)
	})
}

// handOver hands a function to the thread every `every`. It waits for the first one to run
// before it starts: a function handed over before the app's loop runs waits for the app to
// start, which is not a stall. Writing the file is another goroutine's job, so that a slow
// disk never delays a hand-over (which would show as a gap).
func (p *stallProbe) handOver(every time.Duration) {
	defer p.wg.Done()
	ready := make(chan struct{})
	p.hand(func() { close(ready) })
	select {
	case <-ready:
	case <-p.quit:
		return
	}
	p.mu.Lock()
	p.began = time.Now()
	p.last = p.began
	p.mu.Unlock()
	p.tick(every, func(time.Time) {
		if p.pending.Load() > 0 {
			return // the last one still waits: its wait is the measure
		}
		p.pending.Add(1)
		handed := time.Now()
		p.mu.Lock()
		p.waiting = handed
		p.mu.Unlock()
		p.hand(func() { p.ran(handed, time.Now()) })
	})
}

func (p *stallProbe) writer(every time.Duration) {
	defer p.wg.Done()
	p.tick(every, func(time.Time) { p.write(false) })
}

// tick runs fn each period until the probe stops.
func (p *stallProbe) tick(period time.Duration, fn func(now time.Time)) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-p.quit:
			return
		case now := <-tick.C:
			fn(now)
		}
	}
}

// ran records a function handed over at handed that ran at now. On the probed thread: it only
// counts, under a lock the writer holds for a few microseconds.
func (p *stallProbe) ran(handed, now time.Time) {
	p.pending.Add(-1)
	d := now.Sub(handed)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	p.delays.add(d)
	p.waiting = time.Time{}
	p.worst = max(p.worst, d)
	if d > p.max {
		p.max, p.maxAt = d, now
	}
	if !p.last.IsZero() {
		gap := now.Sub(p.last)
		p.gaps.add(gap)
		if gap > p.maxGap {
			p.maxGap, p.gapAt = gap, now
		}
	}
	p.last = now
}

// watch looks every `every` at how long the function handed over has waited, and
// records each stall (see the top of this file).
func (p *stallProbe) watch(every time.Duration) {
	defer p.wg.Done()
	p.tick(every, func(now time.Time) {
		p.mu.Lock()
		var waited time.Duration
		if !p.waiting.IsZero() {
			waited = now.Sub(p.waiting)
		}
		if !p.inStall && waited > stallLimit {
			p.worst = 0
		}
		worst := p.worst
		p.mu.Unlock()
		switch {
		case !p.inStall && waited > stallLimit:
			p.inStall, p.again = true, false
			p.stalls++
			p.appendStall(p.stallText(now, waited, "at"))
		case p.inStall && !p.again && waited > stallAgain:
			// What a long stall waits on may not be what it began with (a frame being
			// painted, then a lock).
			p.again = true
			p.appendStall(p.stallText(now, waited, "still waiting at"))
		case p.inStall && waited <= stallLimit:
			p.inStall = false
			if p.stalls <= p.keep {
				p.appendStall(fmt.Sprintf("=== stall %d ended at %s: the longest wait was %.1f ms\n\n",
					p.stalls, now.Format(stallClock), millis(worst)))
			}
		}
	})
}

// stallClock is how the stall file gives times.
const stallClock = "15:04:05.000"

// stallText is what the file gets for a stall seen at now: the wait and the stacks while
// fewer than p.keep were kept, then one line, then nothing.
func (p *stallProbe) stallText(now time.Time, waited time.Duration, when string) string {
	if p.stalls > p.keep+1 || p.stalls == p.keep+1 && p.again {
		return ""
	}
	if p.stalls == p.keep+1 {
		return fmt.Sprintf("=== stall %d at %s: not recorded, nor any later one (the first %d are)\n", p.stalls, now.Format(stallClock), p.keep)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "=== stall %d %s %s: a function handed to the thread at %s has waited %.1f ms\n",
		p.stalls, when, now.Format(stallClock), now.Add(-waited).Format(stallClock), millis(waited))
	mine, others := splitStacks(allStacks(), p.loop)
	b.WriteString("--- the probed thread (Fyne's):\n")
	if mine == "" {
		b.WriteString("(not found: its goroutine runs " + p.loop + "...)\n")
	}
	b.WriteString(mine)
	b.WriteString("\n--- every other goroutine:\n")
	b.WriteString(others)
	b.WriteString("\n")
	return b.String()
}

// allStacks is runtime.Stack of every goroutine, whole up to stallStackMax.
func allStacks() []byte {
	for n := 1 << 20; ; n *= 2 {
		buf := make([]byte, n)
		if got := runtime.Stack(buf, true); got < n || n >= stallStackMax {
			return buf[:got]
		}
	}
}

// splitStacks takes the goroutine whose stack holds loop out of runtime.Stack's text.
func splitStacks(all []byte, loop string) (mine, others string) {
	var rest []string
	for _, g := range strings.Split(strings.TrimSpace(string(all)), "\n\n") {
		if mine == "" && strings.Contains(g, loop) {
			mine = g + "\n"
			continue
		}
		rest = append(rest, g)
	}
	return mine, strings.Join(rest, "\n\n") + "\n"
}

// appendStall appends text to the stall file; a failure is said once on stderr.
func (p *stallProbe) appendStall(text string) {
	if text == "" {
		return
	}
	f, err := os.OpenFile(p.path+".stalls", os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err == nil {
		_, err = f.WriteString(text)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil && !p.stallWarn {
		p.stallWarn = true
		fmt.Fprintf(os.Stderr, "warning: stall probe (%s): %v\n", stallProbeEnv, err)
	}
}

// stallReport is the probe's JSON line. Delays are from a function's hand-over to its run; a
// gap is the time between two runs, normally the 10 ms of the hand-overs (it also counts any
// lateness of the probe's own goroutine). The histograms are cumulative since start, as
// [upper bound in ms, count] for each bucket that is not empty: a reader that takes two lines
// subtracts them to get the figures between the two.
type stallReport struct {
	Start    time.Time    `json:"start"`
	Time     time.Time    `json:"time"`
	Final    bool         `json:"final"`
	EveryMs  float64      `json:"every_ms"`
	Count    int64        `json:"count"`
	Pending  int64        `json:"pending"`
	MaxMs    float64      `json:"max_ms"`
	MaxAt    time.Time    `json:"max_at,omitzero"`
	P50Ms    float64      `json:"p50_ms"`
	P99Ms    float64      `json:"p99_ms"`
	MaxGapMs float64      `json:"max_gap_ms"`
	MaxGapAt time.Time    `json:"max_gap_at,omitzero"`
	Delays   [][2]float64 `json:"delay_hist"`
	Gaps     [][2]float64 `json:"gap_hist"`
}

func (p *stallProbe) report(final bool) stallReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	return stallReport{
		Start: p.began, Time: time.Now(), Final: final, EveryMs: millis(p.every),
		Count: p.count, Pending: p.pending.Load(),
		MaxMs: millis(p.max), MaxAt: p.maxAt,
		P50Ms: millis(min(p.delays.quantile(0.50), p.max)), P99Ms: millis(min(p.delays.quantile(0.99), p.max)),
		MaxGapMs: millis(p.maxGap), MaxGapAt: p.gapAt,
		Delays: p.delays.buckets(), Gaps: p.gaps.buckets(),
	}
}

// write replaces the file with the current line. No fsync: a reader needs the line whole, not
// on disk after a crash, and a sync each second would compete with the backup being measured.
// A failure is said once on stderr; the app goes on.
func (p *stallProbe) write(final bool) {
	line, err := json.Marshal(p.report(final))
	if err == nil {
		err = replaceFile(p.path, append(line, '\n'))
	}
	if err != nil && !p.warned {
		p.warned = true
		fmt.Fprintf(os.Stderr, "warning: stall probe (%s): %v\n", stallProbeEnv, err)
	}
}

// replaceFile writes data to a temporary file beside path and renames it over path.
func replaceFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// stallHist counts durations in buckets of 0.1 ms up to 1 s, then of 10 ms up to 60 s (the last
// bucket also holds anything longer): fine enough to tell 99 ms from 101 ms, in 64 KB.
type stallHist struct {
	n     [stallFine + stallCoarse]uint32
	total int64
}

const (
	stallFine   = 10_000 // 0.1 ms buckets: [0, 1 s)
	stallCoarse = 5_900  // 10 ms buckets: [1 s, 60 s)
)

func (h *stallHist) add(d time.Duration) {
	h.n[stallBucket(d)]++
	h.total++
}

// stallBucket is the bucket of d.
func stallBucket(d time.Duration) int {
	us := max(d.Microseconds(), 0)
	if us < 1_000_000 {
		return int(us / 100)
	}
	return min(stallFine+int((us/1000-1000)/10), stallFine+stallCoarse-1)
}

// stallUpper is the upper bound of bucket i.
func stallUpper(i int) time.Duration {
	if i < stallFine {
		return time.Duration(i+1) * 100 * time.Microsecond
	}
	return time.Second + time.Duration(i-stallFine+1)*10*time.Millisecond
}

// quantile is the upper bound of the bucket that holds the q-quantile (nearest rank); 0 when
// empty.
func (h *stallHist) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := max(int64(q*float64(h.total)+0.999999), 1)
	var seen int64
	for i, c := range h.n {
		if seen += int64(c); seen >= rank {
			return stallUpper(i)
		}
	}
	return stallUpper(len(h.n) - 1)
}

// buckets lists the buckets that are not empty as [upper bound ms, count].
func (h *stallHist) buckets() [][2]float64 {
	out := [][2]float64{}
	for i, c := range h.n {
		if c > 0 {
			out = append(out, [2]float64{millis(stallUpper(i)), float64(c)})
		}
	}
	return out
}
