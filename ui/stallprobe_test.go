package ui

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStallBuckets(t *testing.T) {
	for _, c := range []struct {
		d     time.Duration
		upper time.Duration
	}{
		{0, 100 * time.Microsecond},
		{-time.Millisecond, 100 * time.Microsecond},
		{99 * time.Microsecond, 100 * time.Microsecond},
		{100 * time.Microsecond, 200 * time.Microsecond},
		{99_950 * time.Microsecond, 100 * time.Millisecond},
		{100 * time.Millisecond, 100*time.Millisecond + 100*time.Microsecond},
		{999_999 * time.Microsecond, time.Second},
		{time.Second, 1010 * time.Millisecond},
		{1234 * time.Millisecond, 1240 * time.Millisecond},
		{59_995 * time.Millisecond, 60 * time.Second},
		{2 * time.Minute, 60 * time.Second},
	} {
		if got := stallUpper(stallBucket(c.d)); got != c.upper {
			t.Errorf("%v: bucket up to %v, want %v", c.d, got, c.upper)
		}
	}
}

// A 150 ms stall among 1 ms delays is the maximum and the longest gap, and leaves the p99 alone.
func TestStallProbeFigures(t *testing.T) {
	p := newStallProbe(filepath.Join(t.TempDir(), "probe.json"), nil)
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	p.began, p.last = t0, t0
	at := t0
	for i := range 200 {
		handed := at.Add(10 * time.Millisecond)
		delay := time.Millisecond
		if i == 100 {
			delay = 150 * time.Millisecond
		}
		at = handed.Add(delay)
		p.pending.Add(1)
		p.ran(handed, at)
	}
	r := p.report(false)
	if r.Count != 200 || r.Pending != 0 {
		t.Errorf("count %d, pending %d; want 200, 0", r.Count, r.Pending)
	}
	if r.MaxMs != 150 {
		t.Errorf("max %v ms, want 150", r.MaxMs)
	}
	if r.P99Ms > 1.1 || r.P50Ms > 1.1 {
		t.Errorf("p50 %v ms, p99 %v ms; want at most 1.1 (the 1 ms bucket)", r.P50Ms, r.P99Ms)
	}
	if r.MaxGapMs != 160 {
		t.Errorf("max gap %v ms, want 160 (10 ms to the hand-over, 150 waiting)", r.MaxGapMs)
	}
	if want := t0.Add(100*11*time.Millisecond + 160*time.Millisecond); !r.MaxAt.Equal(want) {
		t.Errorf("max at %v, want %v", r.MaxAt, want)
	}
	if n := histCount(r.Delays); n != 200 {
		t.Errorf("delay histogram holds %v, want 200", n)
	}
}

// The probe writes its line while it runs and a final one at stop, and sees a thread that
// blocked for 200 ms.
func TestStallProbeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "probe.json")
	thread := make(chan func(), 10_000)
	block := make(chan struct{})
	go func() {
		for f := range thread {
			f()
		}
	}()
	defer close(thread)
	p := newStallProbe(path, func(f func()) { thread <- f })
	p.start(5*time.Millisecond, 20*time.Millisecond)
	defer p.stop()

	first := waitStallLine(t, path, func(r stallReport) bool { return r.Count >= 5 })
	if first.Final || first.MaxMs >= 200 {
		t.Fatalf("before the block: final %v, max %v ms", first.Final, first.MaxMs)
	}
	thread <- func() { time.Sleep(200 * time.Millisecond); close(block) }
	<-block
	waitStallLine(t, path, func(r stallReport) bool { return r.Count >= first.Count+10 })
	p.stop()

	r := readStallLine(t, path)
	if !r.Final {
		t.Error("the line written at stop is not final")
	}
	if r.MaxMs < 150 || r.MaxGapMs < 150 {
		t.Errorf("max %v ms, max gap %v ms after a 200 ms block; want at least 150", r.MaxMs, r.MaxGapMs)
	}
	if n := histCount(r.Delays); n != float64(r.Count) {
		t.Errorf("delay histogram holds %v, count is %d", n, r.Count)
	}
	// One function waited through the block: none is handed over while one waits.
	var long float64
	for _, b := range r.Delays {
		if b[0] > 100 {
			long += b[1]
		}
	}
	if long != 1 {
		t.Errorf("%v functions waited over 100 ms through one block of 200 ms, want 1 (none handed over while one waits)", long)
	}
	if left, _ := filepath.Glob(path + "*"); len(left) != 2 || left[1] != path+".stalls" {
		t.Errorf("files left: %q, want only the probe's and its stall file", left)
	}
}

// A thread blocked 250 ms gets one stall in the stall file, with the stacks taken while it
// waited: the probed thread's first, showing the function that blocked it; the end of the
// stall gives its longest wait; a stall of over a second gets its stacks taken again. Past the
// stalls kept, one line says later ones are not.
func TestStallProbeStacks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "probe.json")
	thread := make(chan func(), 10_000)
	go probedThread(thread)
	defer close(thread)
	p := newStallProbe(path, func(f func()) { thread <- f })
	p.loop, p.keep = "ui.probedThread(", 2
	p.start(5*time.Millisecond, time.Hour)
	defer p.stop()

	waitStallLine := func(what string) string {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			data, _ := os.ReadFile(path + ".stalls")
			if strings.Contains(string(data), what) {
				return string(data)
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the stall file after 5 s; it holds:\n%s", what, data)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	time.Sleep(50 * time.Millisecond) // probes that run at once: no stall
	if _, err := os.Stat(path + ".stalls"); err == nil {
		t.Fatal("a stall file before any stall")
	}
	thread <- func() { blockedForTest(250 * time.Millisecond) }
	text := waitStallLine("=== stall 1 ended")
	if n := strings.Count(text, "=== stall 1 at"); n != 1 {
		t.Errorf("stall 1 recorded %d times, want once:\n%s", n, text)
	}
	mine, others, ok := strings.Cut(text, "--- every other goroutine:")
	if !ok || !strings.Contains(mine, "--- the probed thread (Fyne's):\ngoroutine ") || !strings.Contains(mine, "ui.blockedForTest(") {
		t.Errorf("the probed thread's stack, blocked in blockedForTest, does not come first:\n%s", text)
	}
	if !strings.Contains(others, "ui.TestStallProbeStacks(") {
		t.Errorf("the other goroutines' stacks are missing:\n%s", text)
	}
	var worst float64
	if _, err := fmt.Sscanf(text[strings.Index(text, "the longest wait was "):], "the longest wait was %f ms", &worst); err != nil || worst < 200 || worst > 2000 {
		t.Errorf("longest wait %v ms (%v), want about 250", worst, err)
	}

	thread <- func() { blockedForTest(1200 * time.Millisecond) }
	text = waitStallLine("=== stall 2 ended")
	if !strings.Contains(text, "=== stall 2 still waiting at") || strings.Count(text, "ui.blockedForTest(") != 3 {
		t.Errorf("a stall of over a second does not get its stacks taken again:\n%s", text)
	}

	thread <- func() { blockedForTest(250 * time.Millisecond) }
	text = waitStallLine("=== stall 3 at")
	if !strings.Contains(text, "not recorded, nor any later one (the first 2 are)") || strings.Count(text, "ui.blockedForTest(") != 3 {
		t.Errorf("the stall past the one kept is recorded:\n%s", text)
	}
}

// probedThread runs the functions handed over, as Fyne's loop does.
func probedThread(thread chan func()) {
	for f := range thread {
		f()
	}
}

//go:noinline
func blockedForTest(d time.Duration) { time.Sleep(d) }

func histCount(h [][2]float64) float64 {
	var n float64
	for _, b := range h {
		n += b[1]
	}
	return n
}

func readStallLine(t *testing.T, path string) stallReport {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r stallReport
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s: %v: %q", path, err, data)
	}
	return r
}

// waitStallLine reads the file until its line satisfies ok (five seconds at most).
func waitStallLine(t *testing.T, path string, ok func(stallReport) bool) stallReport {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			if r := readStallLine(t, path); ok(r) {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no line as expected after 5 s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
