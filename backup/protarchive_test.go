package backup

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"holdfast/engine"
)

// protectedBackup makes a backup of 2000 records with the given redundancy and interlacing
// and returns its archive.
func protectedBackup(t *testing.T, redundancy, interlacing string) string {
	t.Helper()
	db := newDB(t)
	configure(t, db, "archive.redundancy", redundancy, "archive.interlacing", interlacing, "archive.compression", "fast")
	fill(t, db, 2000, strings.Repeat("protected ", 10))
	res, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Archive
}

// rewrite replaces an archive's bytes with what change makes of them.
func rewrite(t *testing.T, archive string, change func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(archive, change(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

// An archive copied short or with junk after it verifies and restores whole, the verify
// saying what it found; the 76 bytes cut off a medium one and the 522 off a high one are the
// cases first reported.
func TestProtectedArchiveLengthChanged(t *testing.T) {
	cases := []struct {
		name, redundancy, interlacing string
		change                        func([]byte) []byte
		missing, extra                int64
	}{
		{"medium cut by 76", "medium", "low", func(b []byte) []byte { return b[:len(b)-76] }, 76, 0},
		{"high cut by 522", "high", "medium", func(b []byte) []byte { return b[:len(b)-522] }, 522, 0},
		{"low cut by a slot", "low", "none", func(b []byte) []byte { return b[:len(b)-protSlot] }, protSlot, 0},
		{"medium with 4 KiB appended", "medium", "none", func(b []byte) []byte { return append(b, protRandom(4096, 3)...) }, 0, 4096},
		{"high with 1 byte appended", "high", "high", func(b []byte) []byte { return append(b, 0) }, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			archive := protectedBackup(t, tc.redundancy, tc.interlacing)
			rewrite(t, archive, tc.change)
			m, rep, err := VerifyArchiveRepair(archive)
			if err != nil || m.Backup != 1 {
				t.Fatalf("verify: %v", err)
			}
			if rep.Missing != tc.missing || rep.Extra != tc.extra {
				t.Errorf("verify reports %d bytes missing and %d extra, want %d and %d", rep.Missing, rep.Extra, tc.missing, tc.extra)
			}
			r, err := Restore(context.Background(), archive, RestoreOptions{To: filepath.Join(t.TempDir(), "r"), NoIntegrate: true})
			if err != nil {
				t.Fatalf("restore: %v", err)
			}
			if n, err := openRestored(t, r.Dir).Count("T"); err != nil || n != 2000 {
				t.Fatalf("restored %d records (%v), want 2000", n, err)
			}
		})
	}
}

// filesUnder lists the files (not folders) under dir, relative to it.
func filesUnder(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// spaceProbe stands in for the disk's free space during a test, and records what the
// restore's staging folder held when the restore asked.
type spaceProbe struct {
	free  uint64
	asked bool
	held  []string
}

func (sp *spaceProbe) install(t *testing.T) {
	old := freeSpace
	freeSpace = func(dir string) (uint64, uint64, bool) {
		sp.asked = true
		sp.held = filesUnder(dir)
		return sp.free, 1 << 40, true
	}
	t.Cleanup(func() { freeSpace = old })
}

// A protected archive, intact or repaired, is read in place: its restore writes no copy of the
// archive into its staging folder, so the free-space check comes before anything is written,
// and a restore the disk cannot hold is refused then (2019), leaving nothing behind.
func TestProtectedRestoreWritesNoCopy(t *testing.T) {
	clean := protectedBackup(t, "medium", "low")
	pristine, err := os.ReadFile(clean)
	if err != nil {
		t.Fatal(err)
	}
	states := []struct {
		name   string
		change func([]byte) []byte
	}{
		{"intact", func(b []byte) []byte { return b }},
		{"damaged", func(b []byte) []byte { b[len(b)/3] ^= 0xff; return b }},
		{"cut short", func(b []byte) []byte { return b[:len(b)-76] }},
	}
	for _, st := range states {
		for _, free := range []uint64{1000, 1 << 40} {
			rewrite(t, clean, func([]byte) []byte { return st.change(append([]byte(nil), pristine...)) })
			probe := &spaceProbe{free: free}
			probe.install(t)
			out := t.TempDir()
			dest := filepath.Join(out, "r")
			r, err := Restore(context.Background(), clean, RestoreOptions{To: dest, NoIntegrate: true})
			if !probe.asked {
				t.Fatalf("%s: the restore never checked the free space (%v)", st.name, err)
			}
			if len(probe.held) != 0 {
				t.Errorf("%s: when the free space was checked the staging folder already held %v", st.name, probe.held)
			}
			if free == 1000 {
				if engine.CodeOf(err) != engine.CodeFileIO || !strings.Contains(err.Error(), "free") {
					t.Errorf("%s: a restore larger than the free space: %v, want 2019 naming the free space", st.name, err)
				}
				if left := names(out); len(left) != 0 {
					t.Errorf("%s: the refused restore left %v", st.name, left)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if n, err := openRestored(t, r.Dir).Count("T"); err != nil || n != 2000 {
				t.Fatalf("%s: restored %d records (%v), want 2000", st.name, n, err)
			}
			if found := r.Repaired.DamagedShards + r.Repaired.DamagedCopies; (st.name != "intact") != (found > 0) {
				t.Errorf("%s: the restore reports %+v", st.name, r.Repaired)
			}
		}
	}
}
