package bench

import (
	"context"
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

// BenchmarkFyneStall measures how long the Fyne thread keeps work waiting while work started
// from the window runs (goal: never more than 100 ms), in five scenarios, each on an idle
// machine and on one loaded with two `yes > /dev/null`:
//
//   - backup: Ctrl+B in the main window, Enter in the backup window, until backupHistory.json
//     lists the backup;
//   - structure: the same backup, and during it New Table... > Create, then Cancel operation
//     once the window says the change waits for the backup; until the backup ends;
//   - rollback: Maintenance and Security... > Rollback, the second operation listed, Roll
//     Back... > Roll Back; until the backup journal records the rollback;
//   - integration: a database whose log holds 200,000 operations its data file lacks, opened
//     with restore.autoIntegrateLog off, Integrate in the question shown; until the journal
//     records the integration;
//   - restore: File > Restore..., the archive's path typed, Restore; until the restored
//     database's journal records the restore.
//
// Each run starts the real app, `holdfast gui DB`, on a copy of the 1 GiB database
// (archive.compression fast and archive.verify on, the defaults; the backups beside the
// database, on the same disk) in a private Xvfb server, with HOLDFAST_STALL_PROBE set: the app
// then hands a tiny function to its Fyne thread every 10 ms and keeps the delays until each runs
// (ui/stallprobe.go), in a file it replaces every second, and the stacks of every stall over
// 100 ms in "<file>.stalls", which the log names. The window is driven with xdotool, by keys
// where the window has them and by clicks at fixed places of its windows (Xvfb has no window
// manager: each window opens at the top left, at the size the app gives it); a scenario whose
// effect is not seen (no wait shown, nothing restored) fails rather than measure nothing.
//
// The work's window is from the last probe line before the action to the first one 1.5 s after
// the work ended (so that the result shown in the window counts too). Its figures are the
// difference of the probe's cumulative histograms at its two ends (0.1 ms buckets; the exact
// maximum when the probe's own maximum falls in that window). others_cpu_s is the CPU time
// other processes took meanwhile (the load's `yes` apart, as load_cpu_s): on 2 cores, anything
// above a second or two means the figures were taken on a busy machine. The log lists the
// seconds of the work that had a wait over 50 ms.
//
// The prepared database (a backup, then 200,000 operations in the log) is built once per run
// of the benchmark, about a minute; each scenario then takes 30-60 s.
func BenchmarkFyneStall(b *testing.B) {
	for _, tool := range []string{"Xvfb", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s is not installed (make deps installs it): this benchmark drives the real window under Xvfb", tool)
		}
	}
	bin := buildHoldfast(b)
	prep := prepareStall(b)
	for _, sc := range stallScenarios {
		for _, load := range []int{0, 2} {
			name := sc.name + "/idle"
			if load > 0 {
				name = sc.name + "/loaded"
			}
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					runStall(b, bin, prep, sc, load)
				}
			})
		}
	}
}

// stallPrep is the prepared database: backup 1 of it (its archive in its destination), then
// stallOps operations in its log; before is its data file as it was at the backup.
type stallPrep struct{ dir, before string }

// stallOps is how many records are added after the prepared database's backup.
const stallOps = 200_000

func prepareStall(b *testing.B) stallPrep {
	b.Helper()
	dir, db := workingCopy(b, 0, true)
	setSettings(b, db, "archive.compression", "fast", "archive.verify", "true", "destination", "",
		"restore.autoIntegrateLog", "false")
	if _, err := backup.Run(context.Background(), db, backup.Options{}); err != nil {
		b.Fatal(err)
	}
	before := filepath.Join(b.TempDir(), "before.4DD")
	if err := copyFile(before, dataFile(dir)); err != nil {
		b.Fatal(err)
	}
	p := db.NewProcess("")
	for i := int64(0); i < stallOps; i += itemsPerTx {
		tx := p.Begin()
		for j := i; j < i+itemsPerTx; j++ {
			if _, err := tx.Add(itemsName, itemValues(4_500_000+j)); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	return stallPrep{dir: dir, before: before}
}

// stallRun is one scenario under way: the app, its display and main window, and its database.
type stallRun struct {
	b       *testing.B
	display string
	app     *guiApp
	main    string
	dir     string // the database folder
	dest    string // its backups' folder
	shots   string // where to keep screenshots of each step ("" for none)
	// backupWin is the backup window, once open.
	backupWin string
	// journal is the database's backup journal as it was before the action, at acted.
	journal string
	acted   time.Time
}

// stallScenario is one kind of work started from the window. setup prepares the database
// folder; ready opens what the action needs; act starts the work and returns once it began;
// wait returns once it ended, with how long it took.
type stallScenario struct {
	name  string
	setup func(b *testing.B, prep stallPrep, dir string)
	ready func(r *stallRun)
	act   func(r *stallRun)
	wait  func(r *stallRun) time.Duration
}

var stallScenarios = []stallScenario{
	{name: "backup", setup: freshCopy, ready: openBackup, act: startBackup, wait: backupEnds},
	{name: "structure", setup: freshCopy, ready: openBackup, act: func(r *stallRun) {
		startBackup(r)
		r.click(r.main, 81, 578) // New Table...
		r.sleep(1500*time.Millisecond, "new-table")
		r.click(r.main, 700, 133) // the table's name
		r.xdotool("type", "Later")
		r.sleep(500*time.Millisecond, "named")
		r.click(r.main, 322, 370) // Create (the name's error gone)
		r.sleep(2*time.Second, "waiting")
		r.click(r.main, 517, 375) // Cancel operation
		r.sleep(time.Second, "cancelled")
	}, wait: func(r *stallRun) time.Duration {
		d := backupEnds(r)
		r.sleep(0, "after")
		// Cancelled, the table was not created (nor later, when the backup ended).
		if data, err := os.ReadFile(filepath.Join(r.dir, engine.CatalogFile)); err == nil && strings.Contains(string(data), "Later") {
			r.b.Fatal("New Table > Create, then Cancel operation: the table was created")
		}
		return d
	}},
	{name: "rollback", setup: preparedCopy, ready: func(r *stallRun) {
		r.menu(106, 289) // Maintenance and Security...
		win := r.window("Maintenance and Security - " + dbName)
		r.click(win, 186, 21)                   // Rollback
		r.sleep(3*time.Second, "rollback-page") // the log's operations are read
		r.click(win, 300, 140)                  // the second operation listed
		r.sleep(500*time.Millisecond, "chosen")
	}, act: func(r *stallRun) {
		win := r.window("Maintenance and Security - " + dbName)
		r.click(win, 50, 598) // Roll Back...
		r.sleep(time.Second, "confirm")
		r.click(win, 503, 381) // the question's Roll Back
		r.sleep(time.Second, "rolling")
	}, wait: func(r *stallRun) time.Duration {
		return r.journalSays(r.dir, "Rollback to operation")
	}},
	{name: "integration", setup: func(b *testing.B, prep stallPrep, dir string) {
		preparedCopy(b, prep, dir)
		if err := copyFile(dataFile(dir), prep.before); err != nil {
			b.Fatal(err)
		}
	}, ready: func(r *stallRun) { r.sleep(0, "question") }, act: func(r *stallRun) {
		r.click(r.main, 593, 401) // Integrate
		r.sleep(time.Second, "integrating")
	}, wait: func(r *stallRun) time.Duration {
		return r.journalSays(r.dir, "Integration of the log file")
	}},
	{name: "restore", setup: preparedCopy, ready: func(r *stallRun) {
		r.menu(46, 166) // Restore...
		win := r.window("Restore")
		r.click(win, 400, 21) // the archive's path
		archives, _ := filepath.Glob(filepath.Join(r.dest, dbName+"[[]*].4BK"))
		if len(archives) != 1 {
			r.b.Fatalf("the prepared database's backups: %q", archives)
		}
		r.xdotool("type", archives[0])
		r.sleep(2*time.Second, "archive")
	}, act: func(r *stallRun) {
		r.click(r.window("Restore"), 720, 597) // Restore
		r.sleep(time.Second, "restoring")
	}, wait: func(r *stallRun) time.Duration {
		restored := filepath.Join(r.dest, dbName+"[0001]")
		return r.journalSays(restored, "Restore of")
	}},
}

// freshCopy copies the 1 GiB database with the benchmark's settings into dir.
func freshCopy(b *testing.B, _ stallPrep, dir string) {
	b.Helper()
	if err := copyDir(dir, cachedDatabase(b, 0)); err != nil {
		b.Fatal(err)
	}
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	setSettings(b, db, "archive.compression", "fast", "archive.verify", "true", "destination", "")
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
}

// preparedCopy copies the prepared database, with its backups, into dir.
func preparedCopy(b *testing.B, prep stallPrep, dir string) {
	b.Helper()
	if err := copyDir(dir, prep.dir); err != nil {
		b.Fatal(err)
	}
	if err := copyDir(dir+" Backups", prep.dir+" Backups"); err != nil {
		b.Fatal(err)
	}
}

func openBackup(r *stallRun) {
	r.backupWin = openBackupWindow(r.b, r.display, r.main, r.app)
	r.sleep(2*time.Second, "backup-window") // its destination and history are read
}

func startBackup(r *stallRun) {
	pressBackup(r.b, r.display, r.backupWin, r.dest, r.app)
	r.sleep(0, "backing-up")
}

func backupEnds(r *stallRun) time.Duration {
	e := waitHistory(r.b, r.dest, r.app)
	return time.Duration(e.DurationMS) * time.Millisecond
}

// runStall runs one scenario with load processes busy meanwhile.
func runStall(b *testing.B, bin string, prep stallPrep, sc stallScenario, load int) {
	home := b.TempDir()
	dir := filepath.Join(b.TempDir(), dbName)
	sc.setup(b, prep, dir)
	r := &stallRun{b: b, dir: dir, dest: dir + " Backups", shots: os.Getenv("HOLDFAST_STALL_SHOTS")}
	probe := filepath.Join(home, "stall.json")
	var xvfbPid int
	r.display, xvfbPid = xvfb.Start(b)
	r.app = startApp(b, bin, dir, r.display, probe, home)
	r.main = waitWindow(b, r.display, "Holdfast - "+dbName, r.app)
	waitProbe(b, probe, time.Time{}, r.app)
	r.sleep(3*time.Second, "main") // the first page of records and the status line are shown
	sc.ready(r)

	loadPids := startLoad(b, load)
	time.Sleep(time.Second) // the load runs
	if data, err := os.ReadFile(engine.BackupJournalPath(dir)); err == nil {
		r.journal = string(data)
	}
	before := waitProbe(b, probe, time.Now(), r.app)
	cpu0 := readCPU(r.app.cmd.Process.Pid, xvfbPid, loadPids...)
	lines := watchProbe(probe)
	start := time.Now()
	r.acted = start
	sc.act(r)
	took := sc.wait(r)
	after := waitProbe(b, probe, time.Now().Add(1500*time.Millisecond), r.app)
	cpu1 := readCPU(r.app.cmd.Process.Pid, xvfbPid, loadPids...)
	stopLoad(loadPids)
	timeline := lines()
	during := stallBetween(before, after)
	r.app.stop()

	busy := cpu1.sub(cpu0)
	b.Logf("%s: work %.1f s, window %.1f s: %s; CPU s: %s", sc.name, took.Seconds(), after.Time.Sub(before.Time).Seconds(), during, busy)
	b.Logf("seconds with a wait over %v ms (s after the action: max ms / max gap ms): %s",
		slowSecond, slowSeconds(append([]probeLine{before}, append(timeline, after)...), start))
	if stalls, err := os.ReadFile(probe + ".stalls"); err == nil {
		keep := filepath.Join(os.TempDir(), "holdfast-stalls", strings.ReplaceAll(b.Name(), "/", "-")+".stalls")
		if os.MkdirAll(filepath.Dir(keep), 0o700) == nil && os.WriteFile(keep, stalls, 0o600) == nil {
			b.Logf("%d stall(s) over 100 ms, their stacks in %s", strings.Count(string(stalls), " ended at "), keep)
		}
	}
	b.ReportMetric(during.maxMs, "max_ms")
	b.ReportMetric(during.p99Ms, "p99_ms")
	b.ReportMetric(during.maxGapMs, "max_gap_ms")
	b.ReportMetric(took.Seconds(), "work_s")
	b.ReportMetric(float64(during.count), "probes")
	b.ReportMetric(busy.others, "others_cpu_s")
	b.ReportMetric(busy.load, "load_cpu_s")
	os.RemoveAll(dir)
	os.RemoveAll(r.dest)
}

// startLoad starts n `yes` writing to /dev/null; stopLoad ends them.
func startLoad(b *testing.B, n int) []int {
	var pids []int
	for range n {
		cmd := exec.Command("yes") // its output goes to /dev/null
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		pids = append(pids, cmd.Process.Pid)
		b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	return pids
}

func stopLoad(pids []int) {
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// click focuses window win (so that keys typed next go to it) and clicks at x, y of it.
func (r *stallRun) click(win string, x, y int) {
	r.b.Helper()
	r.app.alive(r.b)
	err := r.xdotool("windowfocus", "--sync", win)
	if err == nil {
		err = r.xdotool("mousemove", "--window", win, strconv.Itoa(x), strconv.Itoa(y), "click", "1")
	}
	if err != nil {
		r.b.Fatalf("click at %d,%d: %v", x, y, err)
	}
}

// menu opens the main window's File menu and clicks its item at x, y.
func (r *stallRun) menu(x, y int) {
	r.b.Helper()
	r.click(r.main, 27, 13)
	r.sleep(700*time.Millisecond, "menu")
	r.click(r.main, x, y)
}

// window waits for a window named title.
func (r *stallRun) window(title string) string {
	r.b.Helper()
	return waitWindow(r.b, r.display, title, r.app)
}

func (r *stallRun) xdotool(args ...string) error { return xdotool(r.display, args...) }

// sleep waits d, then keeps a screenshot named step when HOLDFAST_STALL_SHOTS names a folder
// (to find where to click when a window changes).
func (r *stallRun) sleep(d time.Duration, step string) {
	time.Sleep(d)
	if r.shots == "" {
		return
	}
	name := fmt.Sprintf("%s-%s.png", strings.ReplaceAll(r.b.Name(), "/", "-"), step)
	cmd := exec.Command("import", "-window", "root", filepath.Join(r.shots, name))
	cmd.Env = append(os.Environ(), "DISPLAY="+r.display)
	if out, err := cmd.CombinedOutput(); err != nil {
		r.b.Logf("screenshot %s: %v %s", name, err, out)
	}
}

// journalSays waits for the backup journal of the database in dir to hold one more line with
// what than before the action, and returns how long after the action it came.
func (r *stallRun) journalSays(dir, what string) time.Duration {
	r.b.Helper()
	had := 0
	if dir == r.dir {
		had = strings.Count(r.journal, what)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		r.app.alive(r.b)
		if data, err := os.ReadFile(engine.BackupJournalPath(dir)); err == nil && strings.Count(string(data), what) > had {
			return time.Since(r.acted)
		}
		if time.Now().After(deadline) {
			r.b.Fatalf("the backup journal of %s says no %q after 10 minutes; holdfast output:\n%s", dir, what, r.app.out.String())
		}
		time.Sleep(50 * time.Millisecond)
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
type cpuTimes struct{ machine, app, xvfb, self, load, others float64 }

func (c cpuTimes) String() string {
	return fmt.Sprintf("app %.1f, Xvfb %.1f, benchmark %.1f, load %.1f, other processes %.1f", c.app, c.xvfb, c.self, c.load, c.others)
}

// sub is the CPU used from c0 to c; others is what the machine used besides the four.
func (c cpuTimes) sub(c0 cpuTimes) cpuTimes {
	d := cpuTimes{machine: c.machine - c0.machine, app: c.app - c0.app, xvfb: c.xvfb - c0.xvfb, self: c.self - c0.self, load: c.load - c0.load}
	d.others = max(0, d.machine-d.app-d.xvfb-d.self-d.load)
	return d
}

// readCPU reads /proc (clock ticks of 1/100 s); zeros where it cannot. load are the load's
// processes.
func readCPU(app, xvfb int, load ...int) cpuTimes {
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
	for _, pid := range load {
		c.load += procCPU(strconv.Itoa(pid))
	}
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
