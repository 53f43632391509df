package backup

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"holdfast/engine"
	"holdfast/journal"
)

// history of a test database: what T held after each operation, to compare restores with.
type states struct {
	cur map[int64]string
	at  map[uint64]map[int64]string // operation -> content right after it
}

func newStates() *states {
	return &states{cur: map[int64]string{}, at: map[uint64]map[int64]string{}}
}

func (s *states) record(op uint64) { s.at[op] = maps.Clone(s.cur) }

// upTo is the content after the last operation <= op.
func (s *states) upTo(op uint64) map[int64]string {
	var best uint64
	for o := range s.at {
		if o <= op && o > best {
			best = o
		}
	}
	if best == 0 {
		return map[int64]string{}
	}
	return s.at[best]
}

func (s *states) add(t *testing.T, p *engine.Process, id int64, v string) uint64 {
	t.Helper()
	tx := p.Auto()
	if _, err := tx.Add("T", map[string]journal.Value{"id": journal.Int(id), "v": journal.Text(v)}); err != nil {
		t.Fatal(err)
	}
	op, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	s.cur[id] = v
	s.record(op)
	return op
}

func (s *states) modify(t *testing.T, p *engine.Process, id int64, v string) uint64 {
	t.Helper()
	tx := p.Auto()
	if _, err := tx.Modify("T", []journal.Value{journal.Int(id)}, map[string]journal.Value{"v": journal.Text(v)}); err != nil {
		t.Fatal(err)
	}
	op, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	s.cur[id] = v
	s.record(op)
	return op
}

func (s *states) del(t *testing.T, p *engine.Process, id int64) uint64 {
	t.Helper()
	tx := p.Auto()
	if _, err := tx.Delete("T", []journal.Value{journal.Int(id)}); err != nil {
		t.Fatal(err)
	}
	op, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	delete(s.cur, id)
	s.record(op)
	return op
}

// contents reads every record of T.
func contents(t *testing.T, db *engine.DB) map[int64]string {
	t.Helper()
	out := map[int64]string{}
	var after []journal.Value
	for {
		recs, err := db.Scan("T", after, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return out
		}
		for _, r := range recs {
			out[r.Values[0].I] = r.Values[1].S
		}
		after = []journal.Value{recs[len(recs)-1].Values[0]}
	}
}

func sameContents(t *testing.T, what string, got, want map[int64]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d records, want %d", what, len(got), len(want))
	}
	for id, v := range want {
		if got[id] != v {
			t.Errorf("%s: record %d is %q, want %q", what, id, got[id], v)
			return
		}
	}
}

// shopWithThreeBackups makes a database with three backups and writes between and after them:
// adds, modifies and deletes, some in the log backups, some only in the current log.
func shopWithThreeBackups(t *testing.T) (*engine.DB, *states, []*Result, map[string]uint64) {
	t.Helper()
	db := newDB(t)
	configure(t, db, "keep.enabled", "false")
	st := newStates()
	p := db.NewProcess("")
	t.Cleanup(p.Close)
	ops := map[string]uint64{}
	var results []*Result
	backupNow := func() {
		res, err := Run(context.Background(), db, Options{})
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
	}
	for i := int64(1); i <= 30; i++ {
		st.add(t, p, i, fmt.Sprint("first ", i))
	}
	backupNow()
	for i := int64(31); i <= 40; i++ {
		st.add(t, p, i, fmt.Sprint("second ", i))
	}
	st.modify(t, p, 5, "five, changed")
	ops["delete 7"] = st.del(t, p, 7)
	backupNow()
	st.modify(t, p, 31, "thirty-one, changed")
	ops["delete 12"] = st.del(t, p, 12)
	st.add(t, p, 41, "third 41")
	backupNow()
	ops["delete 3"] = st.del(t, p, 3)
	st.add(t, p, 42, "after the last backup")
	ops["last"] = st.modify(t, p, 42, "after the last backup, changed")
	return db, st, results, ops
}

func openRestored(t *testing.T, dir string) *engine.DB {
	t.Helper()
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatalf("the restored folder does not open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Restores end to end: each archive with --integrate auto ends with what the database holds
// now; without integration, with exactly its snapshot; to a point in time, with the records
// as of that operation; the restored database opens, writes, and its log continues the
// operation numbers.
func TestRestore(t *testing.T) {
	db, st, results, ops := shopWithThreeBackups(t)
	now := contents(t, db)
	sameContents(t, "the live database", now, st.cur)
	out := t.TempDir()

	for i, r := range results {
		res, err := Restore(context.Background(), r.Archive, RestoreOptions{To: filepath.Join(out, fmt.Sprint("auto", i))})
		if err != nil {
			t.Fatalf("restore of backup %d: %v", r.Number, err)
		}
		if want := 3 - i; len(res.Logs) != want {
			t.Errorf("backup %d: integrated %v, want %d logs (the log backups after it and the current log)", r.Number, res.Logs, want)
		}
		rdb := openRestored(t, res.Dir)
		sameContents(t, fmt.Sprintf("backup %d, integrate auto", r.Number), contents(t, rdb), st.cur)
		// The restored log continues the operation numbers.
		tx := rdb.NewProcess("").Auto()
		if _, err := tx.Add("T", map[string]journal.Value{"id": journal.Int(1000), "v": journal.Text("new")}); err != nil {
			t.Fatal(err)
		}
		op, err := tx.Commit()
		if err != nil || op <= res.Reached {
			t.Fatalf("a write to the restored database: op %d (%v), want after %d", op, err, res.Reached)
		}
		if ls := rdb.LogStatus(); !ls.Open || ls.FirstOp != res.Reached+1 || ls.Path != filepath.Join(res.Dir, "Data", "data.journal") {
			t.Errorf("restored log %+v, want a new log inside the folder starting at %d", ls, res.Reached+1)
		}
		rdb.Close()
	}

	for i, r := range results {
		res, err := Restore(context.Background(), r.Archive, RestoreOptions{To: filepath.Join(out, fmt.Sprint("none", i)), NoIntegrate: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Reached != r.Operation || len(res.Logs) != 0 {
			t.Errorf("backup %d without integration: at operation %d with %v, want %d and no log", r.Number, res.Reached, res.Logs, r.Operation)
		}
		sameContents(t, fmt.Sprintf("backup %d alone", r.Number), contents(t, openRestored(t, res.Dir)), st.upTo(r.Operation))
	}

	// The first backup and every later log, up to the operation before each deletion.
	for _, name := range []string{"delete 7", "delete 12", "delete 3"} {
		until := ops[name] - 1
		res, err := Restore(context.Background(), results[0].Archive, RestoreOptions{To: filepath.Join(out, "pit "+name), Until: engine.Until{Op: until}})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Stopped || res.Reached != until {
			t.Errorf("until %d: reached %d (stopped %v)", until, res.Reached, res.Stopped)
		}
		rdb := openRestored(t, res.Dir)
		got := contents(t, rdb)
		sameContents(t, "point in time before "+name, got, st.upTo(until))
		id := map[string]int64{"delete 7": 7, "delete 12": 12, "delete 3": 3}[name]
		if _, ok := got[id]; !ok {
			t.Errorf("before %s the record is not there", name)
		}
	}

	// To a moment: just before the deletion of record 12, found by its time in the log backup.
	_, recs, _, err := journal.ReadAll(journal.OSFS{}, results[2].LogBackups[0])
	if err != nil {
		t.Fatal(err)
	}
	var at time.Time
	for _, r := range recs {
		if r.Op == ops["delete 12"] {
			at = r.Time
		}
	}
	if at.IsZero() {
		t.Fatal("the deletion is not in the log backup")
	}
	res, err := Restore(context.Background(), results[0].Archive, RestoreOptions{To: filepath.Join(out, "moment"), Until: engine.Until{Time: at.Add(-time.Nanosecond)}})
	if err != nil {
		t.Fatal(err)
	}
	sameContents(t, "until the moment before deleting 12", contents(t, openRestored(t, res.Dir)), st.upTo(ops["delete 12"]-1))

	// Explicit logs: exactly those, in order.
	logs := append([]string(nil), results[1].LogBackups...)
	logs = append(logs, results[2].LogBackups...)
	var integrated []Progress // the progress of the integration, after the extraction's
	var logBytes int64
	for _, l := range logs {
		fi, err := os.Stat(l)
		if err != nil {
			t.Fatal(err)
		}
		logBytes += fi.Size()
	}
	res, err = Restore(context.Background(), results[0].Archive, RestoreOptions{To: filepath.Join(out, "explicit"), Logs: logs,
		Progress: func(p Progress) {
			if p.Item == "integrating the log files" {
				integrated = append(integrated, p)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	sameContents(t, "backup 1 and the log backups 1 and 2", contents(t, openRestored(t, res.Dir)), st.upTo(results[2].Operation))
	if n := len(integrated); n == 0 || integrated[n-1].Done != logBytes || integrated[n-1].Total != logBytes {
		t.Errorf("the integration's progress: %+v, want it to end at the %d bytes of the logs", integrated, logBytes)
	}

	// The default destination: beside the archive, named after it.
	res, err = Restore(context.Background(), results[2].Archive, RestoreOptions{NoIntegrate: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(results[2].Archive, ".4BK"); res.Dir != want {
		t.Errorf("restored into %s, want %s", res.Dir, want)
	}
	if _, err := Restore(context.Background(), results[2].Archive, RestoreOptions{NoIntegrate: true}); engine.CodeOf(err) != engine.CodeExists {
		t.Errorf("a second restore into the same folder: %v, want 2012", err)
	}
}

// A chain with a missing log backup is refused, naming it (1412); a log of another database too
// (1416). Nothing is left behind by a refused restore.
func TestRestoreChainErrors(t *testing.T) {
	_, _, results, _ := shopWithThreeBackups(t)
	out := t.TempDir()
	missing := results[1].LogBackups[0] // [0001].4BL, between backups 1 and 2
	moved := missing + ".away"
	if err := os.Rename(missing, moved); err != nil {
		t.Fatal(err)
	}
	_, err := Restore(context.Background(), results[0].Archive, RestoreOptions{To: filepath.Join(out, "gap")})
	if engine.CodeOf(err) != engine.CodeLogBackupMissing || !strings.Contains(err.Error(), "0001") {
		t.Fatalf("a gap in the chain: %v, want 1412 naming log backup 0001", err)
	}
	_, err = Restore(context.Background(), results[0].Archive, RestoreOptions{To: filepath.Join(out, "gap2"), Logs: []string{results[2].LogBackups[0]}})
	if engine.CodeOf(err) != engine.CodeLogBackupMissing {
		t.Fatalf("an explicit chain with a gap: %v, want 1412", err)
	}
	if err := os.Rename(moved, missing); err != nil {
		t.Fatal(err)
	}

	other := newDB(t)
	fill(t, other, 3, "other")
	_, err = Restore(context.Background(), results[0].Archive, RestoreOptions{To: filepath.Join(out, "foreign"), Logs: []string{other.LogPath()}})
	if engine.CodeOf(err) != engine.CodeForeignLog {
		t.Fatalf("a log of another database: %v, want 1416", err)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("refused restores left %v", names(out))
	}
}

// Items: structure and attachments alone restore files, not a database; data always comes with
// the structure that describes it.
func TestRestoreItems(t *testing.T) {
	db := newDB(t)
	fill(t, db, 10, "items")
	att := t.TempDir()
	if err := os.MkdirAll(filepath.Join(att, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(att, "sub", "note.txt"), []byte("attached"), 0o600); err != nil {
		t.Fatal(err)
	}
	setAttachments(t, db, att)
	res, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	r, err := Restore(context.Background(), res.Archive, RestoreOptions{To: filepath.Join(out, "att"), Items: []string{"attachments"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(r.Dir, "Attachments", filepath.FromSlash(strings.TrimPrefix(att, "/")), "sub", "note.txt"))
	if err != nil || string(b) != "attached" {
		t.Fatalf("attachment restored: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(r.Dir, "Data", "att.4DD")); err == nil {
		t.Error("attachments only, and the data file was restored")
	}
	r, err = Restore(context.Background(), res.Archive, RestoreOptions{To: filepath.Join(out, "data"), Items: []string{"data"}})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := openRestored(t, r.Dir).Count("T"); err != nil || n != 10 {
		t.Fatalf("data only: %d records (%v)", n, err)
	}
	if _, err := Restore(context.Background(), res.Archive, RestoreOptions{To: filepath.Join(out, "bad"), Items: []string{"everything"}}); engine.CodeOf(err) != engine.CodeUsage {
		t.Errorf("an unknown item: %v, want 2008", err)
	}
}

// An archive written with redundancy, damaged where the parity covers it, restores whole; one
// damaged without redundancy is refused with 1411.
func TestRestoreRepairs(t *testing.T) {
	for _, red := range []string{"none", "medium"} {
		db := newDB(t)
		configure(t, db, "archive.redundancy", red, "archive.compression", "fast")
		fill(t, db, 2000, strings.Repeat("repair ", 10))
		res, err := Run(context.Background(), db, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(res.Archive)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/3] ^= 0xff
		if err := os.WriteFile(res.Archive, b, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Restore(context.Background(), res.Archive, RestoreOptions{To: filepath.Join(t.TempDir(), "r"), NoIntegrate: true})
		if red == "none" {
			if engine.CodeOf(err) != engine.CodeArchiveVerify {
				t.Fatalf("a flipped byte without redundancy: %v, want 1411", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.Repaired.RepairedShards == 0 {
			t.Error("the repair is not reported")
		}
		if n, err := openRestored(t, r.Dir).Count("T"); err != nil || n != 2000 {
			t.Fatalf("repaired restore: %d records (%v)", n, err)
		}
	}
}

// A restore that was killed leaves its hidden staging folder; the next restore beside it
// removes it. One whose restore still runs (its lock held) is left alone.
func TestRestoreRemovesAbandonedStaging(t *testing.T) {
	db := newDB(t)
	fill(t, db, 5, "x")
	res, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	dest := filepath.Join(out, "Shop[0001]")
	running, done, err := newStaging(out, ".Shop[0001]"+stagingInfix)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	killed := filepath.Join(out, ".Shop[0001]"+stagingInfix+"111")
	for _, dir := range []string{killed, running} {
		if err := os.MkdirAll(filepath.Join(dir, "Data"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "Data", "Shop.4DD"), make([]byte, 1<<16), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(killed+stagingLock, nil, 0o600); err != nil { // its lock file, held by no process
		t.Fatal(err)
	}
	if _, err := Restore(context.Background(), res.Archive, RestoreOptions{To: dest}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(killed); !os.IsNotExist(err) {
		t.Errorf("the killed restore's staging folder is still there: %v", err)
	}
	if _, err := os.Stat(killed + stagingLock); !os.IsNotExist(err) {
		t.Errorf("the killed restore's lock file is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(running, "Data", "Shop.4DD")); err != nil {
		t.Errorf("the staging folder of a restore that runs was touched: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(out, ".*"))
	if len(left) != 2 || left[0] != running || left[1] != running+stagingLock {
		t.Errorf("hidden files beside the restore: %v", left)
	}
}

// A restore stopped while it integrates its log files ends with 1406 and keeps nothing: no
// folder under the final name, no staging folder.
func TestRestoreStoppedDuringIntegration(t *testing.T) {
	db := newDB(t)
	fill(t, db, 5, "before")
	first, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := db.NewProcess("")
	for i := int64(100); i < 400; i++ {
		if _, err := p.Update(func(tx *engine.Tx) error {
			_, err := tx.Add("T", map[string]journal.Value{"id": journal.Int(i), "v": journal.Text("after")})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	second, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = Restore(ctx, first.Archive, RestoreOptions{To: filepath.Join(out, "stopped"), Logs: second.LogBackups,
		Progress: func(p Progress) {
			if p.Item == "integrating the log files" {
				cancel()
			}
		}})
	if engine.CodeOf(err) != engine.CodeBackupInterrupted {
		t.Fatalf("a restore stopped while integrating: %v, want 1406", err)
	}
	if left, _ := filepath.Glob(filepath.Join(out, "*")); len(left) != 0 {
		t.Errorf("a stopped restore left %v", left)
	}
	if left, _ := filepath.Glob(filepath.Join(out, ".*")); len(left) != 0 {
		t.Errorf("a stopped restore left %v", left)
	}
}

// extracted is a Progress callback that collects the archive entries a restore extracts (the
// thermometer's item names).
func extracted(into *[]string) func(Progress) {
	return func(p Progress) {
		for _, top := range []string{"Data/", "Project/", "Attachments/"} {
			if strings.HasPrefix(p.Item, top) {
				*into = append(*into, p.Item)
			}
		}
	}
}

// A chain of logs that its integration would refuse is refused before anything is extracted:
// the restore fails at once instead of after copying the whole archive. A missing log backup
// (--integrate auto), an explicit --log chain with a gap, a missing New Log File segment and a
// log of another database; a chain that reaches its --until limit before a gap still restores.
func TestRestoreChainCheckedFirst(t *testing.T) {
	db, st, results, ops := shopWithThreeBackups(t)
	seg := newSegmentedShop(t)
	other := newDB(t)
	fill(t, other, 3, "other")
	away := func(t *testing.T, path string) func() {
		if err := os.Rename(path, path+".away"); err != nil {
			t.Fatal(err)
		}
		return func() {
			if err := os.Rename(path+".away", path); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name    string
		archive string
		move    string // a file moved away during the restore
		opts    RestoreOptions
		want    engine.Code
	}{
		{"auto, a log backup missing", results[0].Archive, results[1].LogBackups[0], RestoreOptions{}, engine.CodeLogBackupMissing},
		{"--log with a gap", results[0].Archive, "", RestoreOptions{Logs: []string{results[1].LogBackups[0], db.LogPath()}}, engine.CodeLogBackupMissing},
		{"--log of a file not there", results[0].Archive, "", RestoreOptions{Logs: []string{results[1].LogBackups[0], results[2].LogBackups[0] + ".none"}}, engine.CodeLogBackupMissing},
		{"--log starting after the backup", results[0].Archive, "", RestoreOptions{Logs: []string{results[2].LogBackups[0]}}, engine.CodeLogBackupMissing},
		{"auto, a segment missing", seg.backups[0].Archive, filepath.Join(Destination(seg.db), "Shop[0001-0002].4BL"), RestoreOptions{}, engine.CodeLogBackupMissing},
		{"--log of another database", results[0].Archive, "", RestoreOptions{Logs: []string{results[1].LogBackups[0], other.LogPath()}}, engine.CodeForeignLog},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.move != "" {
				defer away(t, tc.move)()
			}
			out := t.TempDir()
			var items []string
			opts := tc.opts
			opts.To, opts.Progress = filepath.Join(out, "r"), extracted(&items)
			_, err := Restore(context.Background(), tc.archive, opts)
			if engine.CodeOf(err) != tc.want {
				t.Fatalf("restore: %v, want %d", err, tc.want)
			}
			t.Log(err)
			if len(items) > 0 {
				t.Errorf("the refused restore extracted %v first", items)
			}
			left, err := os.ReadDir(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) != 0 {
				t.Errorf("the refused restore left %v", names(out))
			}
		})
	}
	// Integration stops in log backup 0001 (at --until): the gap after it is never reached.
	until := ops["delete 7"] - 1
	res, err := Restore(context.Background(), results[0].Archive, RestoreOptions{To: filepath.Join(t.TempDir(), "until"),
		Logs: []string{results[1].LogBackups[0], db.LogPath()}, Until: engine.Until{Op: until}})
	if err != nil {
		t.Fatalf("a chain that stops before its gap: %v", err)
	}
	sameContents(t, "restored up to the limit", contents(t, openRestored(t, res.Dir)), st.upTo(until))
}

// Hooks that come with an archive are not run by the restored database: they are cleared, and
// the result and the restored database's backup journal say what they were and how to set them
// again. Its first backup runs neither.
func TestRestoreDisablesHooks(t *testing.T) {
	db := newDB(t)
	fill(t, db, 5, "hooks")
	marks := t.TempDir()
	startup, shutdown := "touch "+filepath.Join(marks, "startup"), "touch "+filepath.Join(marks, "shutdown")
	configure(t, db, "hooks.onStartup", startup, "hooks.onShutdown", shutdown)
	res, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(names(marks)) != 2 {
		t.Fatalf("the hooks did not run at the backup (%v): the test tests nothing", names(marks))
	}
	if err := os.Remove(filepath.Join(marks, "startup")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(marks, "shutdown")); err != nil {
		t.Fatal(err)
	}

	r, err := Restore(context.Background(), res.Archive, RestoreOptions{To: filepath.Join(t.TempDir(), "Restored"), NoIntegrate: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []DisabledHook{{"hooks.onStartup", startup}, {"hooks.onShutdown", shutdown}}
	if fmt.Sprint(r.DisabledHooks) != fmt.Sprint(want) {
		t.Errorf("disabled hooks %v, want %v", r.DisabledHooks, want)
	}
	notice := r.HooksNotice()
	for _, s := range []string{startup, shutdown, "disabled", "holdfast settings"} {
		if !strings.Contains(notice, s) {
			t.Errorf("the notice %q does not say %q", notice, s)
		}
		if !strings.Contains(journalText(t, r.Dir), s) {
			t.Errorf("the restored backup journal does not say %q", s)
		}
	}
	rdb := openRestored(t, r.Dir)
	if h := rdb.Values().Hooks; h.OnStartup != "" || h.OnShutdown != "" {
		t.Errorf("the restored settings keep the hooks %q, %q", h.OnStartup, h.OnShutdown)
	}
	if _, err := Run(context.Background(), rdb, Options{}); err != nil {
		t.Fatal(err)
	}
	if ran := names(marks); len(ran) != 0 {
		t.Errorf("the restored database's first backup ran the archive's hooks: %v", ran)
	}
}

// A rollback takes the settings of the database itself, which are its user's: its hooks stay.
func TestRollbackKeepsHooks(t *testing.T) {
	db, _, _, ops := shopWithThreeBackups(t)
	hook := "touch " + filepath.Join(t.TempDir(), "startup")
	configure(t, db, "hooks.onStartup", hook)
	dir := db.Dir()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Rollback(context.Background(), dir, ops["delete 12"]-1); err != nil {
		t.Fatal(err)
	}
	if got := reopen(t, dir).Values().Hooks.OnStartup; got != hook {
		t.Errorf("after the rollback hooks.onStartup is %q, want %q", got, hook)
	}
}

// faultFS is the real filesystem where the restore's folders cannot be made (mkdir) or its data
// file cannot be renamed after the destination (rename), with an I/O error.
type faultFS struct {
	journal.OSFS
	fail string
}

func (f faultFS) MkdirAll(path string, perm fs.FileMode) error {
	if f.fail == "mkdir" && strings.Contains(path, stagingInfix) {
		return &fs.PathError{Op: "mkdir", Path: path, Err: syscall.EIO}
	}
	return f.OSFS.MkdirAll(path, perm)
}

func (f faultFS) Rename(from, to string) error {
	if f.fail == "rename" && strings.HasSuffix(to, ".4DD") {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: syscall.EIO}
	}
	return f.OSFS.Rename(from, to)
}

// A restore that cannot write its folder says so (2019: check the folder and its free space),
// not that the backup archive could not be written (1409) or holds no data file (1411); an
// archive that truly holds no data file is told before anything is extracted.
func TestRestoreWriteErrors(t *testing.T) {
	db := newDB(t)
	fill(t, db, 5, "x")
	res, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, fail := range []string{"mkdir", "rename"} {
		out := t.TempDir()
		_, err := Restore(context.Background(), res.Archive, RestoreOptions{To: filepath.Join(out, "r"), NoIntegrate: true, FS: faultFS{fail: fail}})
		if engine.CodeOf(err) != engine.CodeFileIO || !strings.Contains(err.Error(), "input/output error") {
			t.Errorf("%s fails: %v, want 2019 naming the I/O error", fail, err)
		}
		if err != nil && (strings.Contains(err.Error(), "holds no data file") || strings.Contains(err.Error(), "back up again")) {
			t.Errorf("%s fails: %q blames the archive", fail, err)
		}
		left, err := os.ReadDir(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 0 {
			t.Errorf("%s fails: the restore left %v", fail, names(out))
		}
	}
	dir := t.TempDir()
	archive := filepath.Join(dir, "Shop[0001].4BK")
	writeForged(t, archive, []forged{plain("Project/catalog.json", "{}")})
	var items []string
	_, err = Restore(context.Background(), archive, RestoreOptions{NoIntegrate: true, Progress: extracted(&items)})
	if engine.CodeOf(err) != engine.CodeArchiveVerify || !strings.Contains(err.Error(), "holds no data file") {
		t.Errorf("an archive without a data file: %v, want 1411 saying so", err)
	}
	if len(items) > 0 {
		t.Errorf("the archive without a data file was extracted first: %v", items)
	}
}
