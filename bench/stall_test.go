package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"holdfast/backup"
	"holdfast/engine"
	"holdfast/internal/xvfb"
)

// BenchmarkFyneStallDuringBackup measures how long the Fyne thread keeps work waiting while a
// backup started from the window runs (goal: never more than 100 ms). It starts the real app,
// `holdfast gui DB`, on a copy of the 1 GiB database (archive.compression fast and
// archive.verify on, the defaults; the backups go beside the database, on the same disk) in a
// private Xvfb server, with HOLDFAST_STALL_PROBE set: the app then hands a tiny function to its
// Fyne thread every 10 ms and keeps the delays until each runs (ui/stallprobe.go), in a file
// it replaces every second. Like the smoke test, it presses Ctrl+B in the main window and Enter
// in the backup window, and waits for backupHistory.json to list the backup.
//
// The backup's window is from the last probe line before Enter to the first one 1.5 s after
// the history lists the backup (so that the result shown in the window counts too). The peer
// is the same app idle, with the same windows open, for as long, right after: it is the
// probe's own floor on this machine (Xvfb and Mesa's software rendering). Figures of a window
// are the difference of the probe's cumulative histograms at its two ends (0.1 ms buckets;
// the exact maximum when the probe's own maximum falls in that window). others_cpu_s is the
// CPU time other processes took during the backup's window: on 2 cores, anything above a
// second or two means the figures were taken on a busy machine. The log lists the seconds of
// the backup that had a wait over 50 ms.
func BenchmarkFyneStallDuringBackup(b *testing.B) {
	for _, tool := range []string{"Xvfb", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s is not installed (make deps installs it): this benchmark drives the real window under Xvfb", tool)
		}
	}
	bin := buildHoldfast(b)
	dir, _ := workingCopy(b, 0, false)
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	setSettings(b, db, "archive.compression", "fast", "archive.verify", "true", "destination", "")
	dest := backup.Destination(db)
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	if !sameDisk(dir, filepath.Dir(dest)) {
		b.Fatalf("the backups would go to %s, on another disk than the database %s", dest, dir)
	}
	dataSize := fileSize(b, dataFile(dir))

	for b.Loop() {
		home := b.TempDir()
		probe := filepath.Join(home, "stall.json")
		display, xvfbPid := xvfb.Start(b)
		app := startApp(b, bin, dir, display, probe, home)

		main := waitWindow(b, display, "Holdfast - "+dbName, app)
		waitProbe(b, probe, time.Time{}, app)
		time.Sleep(3 * time.Second) // the first page of records and the status line are shown
		backupWin := openBackupWindow(b, display, main, app)
		time.Sleep(2 * time.Second) // the backup window's destination and history are read

		before := waitProbe(b, probe, time.Now(), app)
		cpu0 := readCPU(app.cmd.Process.Pid, xvfbPid)
		lines := watchProbe(probe)
		enter := time.Now()
		pressBackup(b, display, backupWin, dest, app)
		entry := waitHistory(b, dest, app)
		after := waitProbe(b, probe, time.Now().Add(1500*time.Millisecond), app)
		cpu1 := readCPU(app.cmd.Process.Pid, xvfbPid)
		timeline := lines()
		during := stallBetween(before, after)

		time.Sleep(2 * time.Second)
		idleFrom := waitProbe(b, probe, time.Now(), app)
		cpu2 := readCPU(app.cmd.Process.Pid, xvfbPid)
		idleTo := waitProbe(b, probe, idleFrom.Time.Add(after.Time.Sub(before.Time)), app)
		cpu3 := readCPU(app.cmd.Process.Pid, xvfbPid)
		idle := stallBetween(idleFrom, idleTo)
		app.stop()

		archives, _ := filepath.Glob(filepath.Join(dest, dbName+"[[]*].4BK"))
		if len(archives) != 1 {
			b.Fatalf("the backup wrote %q", archives)
		}
		checkArchive(b, archives[0], false)
		os.RemoveAll(dest)

		busy, idleBusy := cpu1.sub(cpu0), cpu3.sub(cpu2)
		b.Logf("backup %.1f s, window %.1f s: %s; CPU s: %s", float64(entry.DurationMS)/1000,
			after.Time.Sub(before.Time).Seconds(), during, busy)
		b.Logf("idle %.1f s: %s; CPU s: %s", idleTo.Time.Sub(idleFrom.Time).Seconds(), idle, idleBusy)
		b.Logf("seconds of the backup with a wait over %v ms (s after Enter: max ms / max gap ms): %s",
			slowSecond, slowSeconds(append([]probeLine{before}, append(timeline, after)...), enter))

		b.ReportMetric(during.maxMs, "backup_max_ms")
		b.ReportMetric(during.p99Ms, "backup_p99_ms")
		b.ReportMetric(during.maxGapMs, "backup_max_gap_ms")
		b.ReportMetric(float64(entry.DurationMS)/1000, "backup_s")
		b.ReportMetric(idle.maxMs, "idle_max_ms")
		b.ReportMetric(idle.p99Ms, "idle_p99_ms")
		b.ReportMetric(idle.maxGapMs, "idle_max_gap_ms")
		b.ReportMetric(float64(during.count), "backup_probes")
		b.ReportMetric(busy.others, "others_cpu_s")
		b.ReportMetric(float64(dataSize)/1e6, "data_MB")
	}
}

// slowSecond is the wait above which a second of the timeline is listed in the log.
const slowSecond = 50

// slowSeconds lists the intervals between consecutive lines whose longest wait passed
// slowSecond ms, as "+T: max/gap" with T in seconds after enter.
func slowSeconds(lines []probeLine, enter time.Time) string {
	var parts []string
	for i := 1; i < len(lines); i++ {
		f := stallBetween(lines[i-1], lines[i])
		if f.maxMs > slowSecond || f.maxGapMs > slowSecond {
			parts = append(parts, fmt.Sprintf("+%.0f: %.0f/%.0f", lines[i].Time.Sub(enter).Seconds(), f.maxMs, f.maxGapMs))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// watchProbe reads the probe's file every 100 ms on a goroutine, keeping each new line, until
// the function it returns is called; that returns the lines in order.
func watchProbe(path string) func() []probeLine {
	stop := make(chan struct{})
	done := make(chan []probeLine)
	go func() {
		var lines []probeLine
		for {
			if data, err := os.ReadFile(path); err == nil {
				var l probeLine
				if json.Unmarshal(data, &l) == nil && (len(lines) == 0 || l.Time.After(lines[len(lines)-1].Time)) {
					lines = append(lines, l)
				}
			}
			select {
			case <-stop:
				done <- lines
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() []probeLine {
		close(stop)
		return <-done
	}
}

// cpuTimes are CPU seconds used so far: by the whole machine (busy, not idle or iowait), the
// app, Xvfb and this benchmark process.
type cpuTimes struct{ machine, app, xvfb, self, others float64 }

func (c cpuTimes) String() string {
	return fmt.Sprintf("app %.1f, Xvfb %.1f, benchmark %.1f, other processes %.1f", c.app, c.xvfb, c.self, c.others)
}

// sub is the CPU used from c0 to c; others is what the machine used besides the three.
func (c cpuTimes) sub(c0 cpuTimes) cpuTimes {
	d := cpuTimes{machine: c.machine - c0.machine, app: c.app - c0.app, xvfb: c.xvfb - c0.xvfb, self: c.self - c0.self}
	d.others = max(0, d.machine-d.app-d.xvfb-d.self)
	return d
}

// readCPU reads /proc (clock ticks of 1/100 s); zeros where it cannot.
func readCPU(app, xvfb int) cpuTimes {
	var c cpuTimes
	if data, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(data), "\n")
		f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
		for i, v := range f {
			if i >= 1 && i <= 8 && i != 4 && i != 5 {
				var n float64
				fmt.Sscan(v, &n)
				c.machine += n / 100
			}
		}
	}
	c.app, c.xvfb, c.self = procCPU(strconv.Itoa(app)), procCPU(strconv.Itoa(xvfb)), procCPU("self")
	return c
}

// procCPU is a process's user and system CPU seconds (all its threads).
func procCPU(pid string) float64 {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	_, rest, _ := strings.Cut(string(data), ") ") // the name may hold spaces
	f := strings.Fields(rest)                     // from field 3, the state
	if len(f) < 13 {
		return 0
	}
	var utime, stime float64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	return (utime + stime) / 100
}

// sameDisk reports whether the two paths are on the same file system.
func sameDisk(a, b string) bool {
	var sa, sb syscall.Stat_t
	return syscall.Stat(a, &sa) == nil && syscall.Stat(b, &sb) == nil && sa.Dev == sb.Dev
}

// probeLine is the JSON line of the app's stall probe (ui/stallprobe.go).
type probeLine struct {
	Time     time.Time    `json:"time"`
	Final    bool         `json:"final"`
	Count    int64        `json:"count"`
	Pending  int64        `json:"pending"`
	MaxMs    float64      `json:"max_ms"`
	MaxAt    time.Time    `json:"max_at"`
	MaxGapMs float64      `json:"max_gap_ms"`
	MaxGapAt time.Time    `json:"max_gap_at"`
	Delays   [][2]float64 `json:"delay_hist"`
	Gaps     [][2]float64 `json:"gap_hist"`
}

// stallFigures are the probe's figures between two of its lines.
type stallFigures struct {
	count                 int64
	maxMs, p99Ms, p50Ms   float64
	maxGapMs, gapP99Ms    float64
	pendingAtEnd          int64
	exactMax, exactMaxGap bool
}

func (s stallFigures) String() string {
	exact := map[bool]string{true: "", false: " (bucket)"}
	return fmt.Sprintf("%d probes, max %.1f ms%s, p99 %.1f ms, p50 %.1f ms, max gap %.1f ms%s, gap p99 %.1f ms, %d pending at the end",
		s.count, s.maxMs, exact[s.exactMax], s.p99Ms, s.p50Ms, s.maxGapMs, exact[s.exactMaxGap], s.gapP99Ms, s.pendingAtEnd)
}

// stallBetween subtracts line a's histograms from line b's.
func stallBetween(a, b probeLine) stallFigures {
	delays, gaps := histDiff(a.Delays, b.Delays), histDiff(a.Gaps, b.Gaps)
	s := stallFigures{pendingAtEnd: b.Pending}
	for _, c := range delays {
		s.count += int64(c[1])
	}
	s.maxMs, s.p99Ms, s.p50Ms = histQuantile(delays, 1), histQuantile(delays, 0.99), histQuantile(delays, 0.5)
	s.maxGapMs, s.gapP99Ms = histQuantile(gaps, 1), histQuantile(gaps, 0.99)
	// The probe's exact maximum, when it was reached inside the window.
	if b.MaxMs > a.MaxMs && b.MaxAt.After(a.Time) {
		s.maxMs, s.exactMax = b.MaxMs, true
	}
	if b.MaxGapMs > a.MaxGapMs && b.MaxGapAt.After(a.Time) {
		s.maxGapMs, s.exactMaxGap = b.MaxGapMs, true
	}
	return s
}

// histDiff is histogram b less histogram a, in b's order (both cumulative, as
// [upper bound ms, count]).
func histDiff(a, b [][2]float64) [][2]float64 {
	old := map[float64]float64{}
	for _, c := range a {
		old[c[0]] = c[1]
	}
	var out [][2]float64
	for _, c := range b {
		if n := c[1] - old[c[0]]; n > 0 {
			out = append(out, [2]float64{c[0], n})
		}
	}
	return out
}

// histQuantile is the upper bound of the bucket holding the q-quantile (nearest rank).
func histQuantile(h [][2]float64, q float64) float64 {
	var total float64
	for _, c := range h {
		total += c[1]
	}
	if total == 0 {
		return 0
	}
	rank := math.Max(math.Ceil(q*total), 1)
	var seen float64
	for _, c := range h {
		if seen += c[1]; seen >= rank {
			return c[0]
		}
	}
	return h[len(h)-1][0]
}

// guiApp is `holdfast gui` running under the benchmark, with its output.
type guiApp struct {
	cmd    *exec.Cmd
	out    *xvfb.Buffer
	exited chan struct{}
	once   sync.Once
}

// startApp starts `bin gui dir` on display with the probe writing to probe, and its settings
// and data folders in home. The app is killed when the benchmark ends, whatever happens.
func startApp(b *testing.B, bin, dir, display, probe, home string) *guiApp {
	b.Helper()
	cmd := exec.Command(bin, "gui", dir)
	cmd.Env = append(os.Environ(),
		"LANG=C", "LC_ALL=C", "GSETTINGS_BACKEND=memory",
		"DISPLAY="+display,
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"),
		"HOLDFAST_STALL_PROBE="+probe,
	)
	a := &guiApp{cmd: cmd, out: &xvfb.Buffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = a.out, a.out
	if err := cmd.Start(); err != nil {
		b.Fatalf("start %s gui: %v", bin, err)
	}
	go func() { _ = cmd.Wait(); close(a.exited) }()
	b.Cleanup(a.stop)
	return a
}

// stop kills the app and waits for it to end.
func (a *guiApp) stop() {
	a.once.Do(func() {
		_ = a.cmd.Process.Kill()
		<-a.exited
	})
}

// alive fails the benchmark, showing the app's output, if the app has exited.
func (a *guiApp) alive(b *testing.B) {
	b.Helper()
	select {
	case <-a.exited:
		b.Fatalf("holdfast gui exited (%v); its output:\n%s", a.cmd.ProcessState, a.out.String())
	default:
	}
}

// waitWindow waits for a window named title and returns its id.
func waitWindow(b *testing.B, display, title string, a *guiApp) string {
	b.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		a.alive(b)
		if ids, err := xvfb.Search(display, title); err == nil && len(ids) > 0 {
			return ids[0]
		}
		if time.Now().After(deadline) {
			b.Fatalf("no window named %q on %s after 60 s; holdfast output:\n%s", title, display, a.out.String())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// openBackupWindow presses Ctrl+B in the main window until the backup window appears. A window
// found by name may not be mapped yet (focusing it is then refused): steps are tried again.
func openBackupWindow(b *testing.B, display, main string, a *guiApp) string {
	b.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		a.alive(b)
		err := xdotool(display, "windowfocus", "--sync", main)
		if err == nil {
			err = xdotool(display, "key", "ctrl+b")
		}
		if err == nil {
			time.Sleep(500 * time.Millisecond)
			if ids, _ := xvfb.Search(display, "Backup - "+dbName); len(ids) > 0 {
				return ids[0]
			}
			err = errors.New("Ctrl+B opened no backup window")
		}
		if time.Now().After(deadline) {
			b.Fatalf("%v; holdfast output:\n%s", err, a.out.String())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// pressBackup presses Enter in the backup window until the backup has begun writing into dest.
// Another Enter while one runs is ignored by the window.
func pressBackup(b *testing.B, display, win, dest string, a *guiApp) {
	b.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		a.alive(b)
		err := xdotool(display, "windowfocus", "--sync", win)
		if err == nil {
			err = xdotool(display, "key", "Return")
		}
		if err == nil {
			for range 50 {
				if entries, _ := os.ReadDir(dest); len(entries) > 0 {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			err = fmt.Errorf("nothing in %s 5 s after Enter in the backup window", dest)
		}
		if time.Now().After(deadline) {
			b.Fatalf("%v; holdfast output:\n%s", err, a.out.String())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitHistory waits for backupHistory.json in dest to list a backup, which must have succeeded.
func waitHistory(b *testing.B, dest string, a *guiApp) backup.HistoryEntry {
	b.Helper()
	deadline := time.Now().Add(15 * time.Minute)
	for {
		a.alive(b)
		if h, err := backup.LoadHistory(dest); err == nil {
			if e := h.Last(); e != nil {
				if e.Status != backup.StatusSuccess {
					b.Fatalf("backup %s: error %d: %s", e.Status, e.ErrorCode, e.Error)
				}
				return *e
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("no backup in %s after 15 minutes; holdfast output:\n%s", dest, a.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitProbe waits for a line of the probe written after t and returns it.
func waitProbe(b *testing.B, path string, t time.Time, a *guiApp) probeLine {
	b.Helper()
	deadline := time.Now().Add(60 * time.Second)
	if t.After(time.Now()) {
		deadline = t.Add(60 * time.Second)
	}
	for {
		a.alive(b)
		if data, err := os.ReadFile(path); err == nil {
			var l probeLine
			if err := json.Unmarshal(data, &l); err != nil {
				b.Fatalf("%s: %v: %q", path, err, data)
			}
			if l.Time.After(t) {
				return l
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("no line of the stall probe in %s after %s; holdfast output:\n%s", path, t.Format(time.TimeOnly), a.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// xdotool runs xdotool on display; only its error matters here.
func xdotool(display string, args ...string) error {
	_, err := xvfb.Xdotool(display, args...)
	return err
}
