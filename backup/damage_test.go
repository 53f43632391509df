package backup

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"holdfast/engine"
	"holdfast/journal"
)

var damageSeed = flag.Int64("damage.seed", 1, "seed of the damage campaign")

// campaignBase makes a closed database Shop with a few hundred records, a backup, and changes
// after it that are only in the current log; its data file is cut at its high-water mark (the
// 16 MiB bbolt reserves beyond it hold nothing). It returns the folder and the records.
func campaignBase(t *testing.T) (string, map[int64]string) {
	t.Helper()
	db := newDB(t)
	st := newStates()
	p := db.NewProcess("")
	rng := rand.New(rand.NewSource(7))
	text := func(i int64) string { return fmt.Sprintf("%d %s", i, strings.Repeat("abcdefgh", 2+rng.Intn(14))) }
	for i := int64(1); i <= 300; i++ {
		st.add(t, p, i, text(i))
	}
	if _, err := Run(context.Background(), db, Options{}); err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 300; i += 10 {
		st.modify(t, p, i, text(i+1000))
	}
	for i := int64(5); i <= 300; i += 20 {
		st.del(t, p, i)
	}
	for i := int64(301); i <= 340; i++ {
		st.add(t, p, i, text(i))
	}
	p.Close()
	dir := db.Dir()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "Data", "Shop.4DD")
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(data, usedBytes(b)); err != nil {
		t.Fatal(err)
	}
	return dir, st.cur
}

// usedBytes is the high-water mark of a bbolt file, in bytes (from its newer meta page).
func usedBytes(b []byte) int64 {
	ps := int64(binary.LittleEndian.Uint32(b[16+8:]))
	m := b[16:]
	if m1 := b[ps+16:]; binary.LittleEndian.Uint64(m1[48:]) > binary.LittleEndian.Uint64(m[48:]) {
		m = m1
	}
	return int64(binary.LittleEndian.Uint64(m[40:])) * ps
}

// copyFolder copies the files under from into to.
func copyFolder(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err == nil {
			err = os.WriteFile(filepath.Join(to, rel), b, 0o600)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// damage applies one random damage of kind to b (a copy) and says what it did.
func damage(b []byte, kind int, rng *rand.Rand) ([]byte, string) {
	switch kind {
	case 0:
		n := 1 + rng.Intn(3)
		var at []int
		for range n {
			i := rng.Intn(len(b))
			b[i] ^= 1 << rng.Intn(8)
			at = append(at, i)
		}
		return b, fmt.Sprintf("bits flipped at %v", at)
	case 1:
		n, i := 1+rng.Intn(64), rng.Intn(len(b))
		for j := i; j < i+n && j < len(b); j++ {
			b[j] = byte(rng.Intn(256))
		}
		return b, fmt.Sprintf("%d random bytes at %d", n, i)
	case 2:
		pg := rng.Intn(len(b) / 4096)
		clear(b[pg*4096 : (pg+1)*4096])
		return b, fmt.Sprintf("page %d zeroed", pg)
	}
	n := rng.Intn(len(b))
	return b[:n], fmt.Sprintf("cut at %d of %d bytes", n, len(b))
}

// readEverything reads the table T every way a user can: a scan in pages, a get of every key
// (and of keys that are not there), the count.
func readEverything(db *engine.DB, want map[int64]string) (map[int64]string, error) {
	got := map[int64]string{}
	var after []journal.Value
	for {
		recs, err := db.Scan("T", after, 37)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			got[r.Values[0].I] = r.Values[1].S
		}
		if len(recs) < 37 {
			break
		}
		after = []journal.Value{recs[len(recs)-1].Values[0]}
	}
	for id := int64(0); id <= 345; id++ {
		rec, found, err := db.Get("T", []journal.Value{journal.Int(id)})
		if err != nil {
			return nil, err
		}
		if w, ok := want[id]; found != ok || (found && rec.Values[1].S != w) {
			return got, fmt.Errorf("get %d: found %v %q, want %v %q", id, found, rec.Values, ok, w)
		}
	}
	n, err := db.Count("T")
	if err == nil && n != int64(len(got)) {
		return got, fmt.Errorf("count %d, scan %d", n, len(got))
	}
	return got, err
}

// trialOutcome is how one damaged data file ended.
type trialOutcome struct {
	where  string // "open", "read", "check" (detected there), "harmless", "wrong", "crash"
	detail string
}

// damagedOpen opens the database in dir, reads everything and checks it, in this goroutine
// with memory faults turned into panics, so that a crash is counted, not suffered.
func damagedOpen(dir string, want map[int64]string) (out trialOutcome) {
	defer func(fault bool) {
		debug.SetPanicOnFault(fault)
		if r := recover(); r != nil {
			out = trialOutcome{"crash", fmt.Sprint(r)}
		}
	}(debug.SetPanicOnFault(true))
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		if engine.CodeOf(err) == engine.CodeDamaged {
			return trialOutcome{"open", err.Error()}
		}
		return trialOutcome{"wrong", fmt.Sprintf("open: %v", err)}
	}
	defer db.Close()
	got, err := readEverything(db, want)
	switch {
	case engine.CodeOf(err) == engine.CodeDamaged:
		return trialOutcome{"read", err.Error()}
	case err != nil:
		return trialOutcome{"wrong", err.Error()}
	case !maps.Equal(got, want):
		return trialOutcome{"wrong", fmt.Sprintf("%d records read without error, %d written", len(got), len(want))}
	}
	if err := db.Check(); engine.CodeOf(err) == engine.CodeDamaged {
		return trialOutcome{"check", err.Error()}
	} else if err != nil {
		return trialOutcome{"wrong", fmt.Sprintf("check: %v", err)}
	}
	return trialOutcome{"harmless", ""}
}

// repaired reports whether the automatic repair at open gives back exactly the records.
func repaired(dir string, want map[int64]string) error {
	db, res, err := OpenOrRepair(context.Background(), dir, engine.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if res == nil {
		return fmt.Errorf("opened without a repair")
	}
	got, err := readEverything(db, want)
	if err == nil && !maps.Equal(got, want) {
		err = fmt.Errorf("%d records after the repair, %d written", len(got), len(want))
	}
	if err == nil {
		err = db.Check()
	}
	return err
}

// The damage campaign (STYLE: SQLite's corrupt*.test): random bit flips, runs of random bytes,
// zeroed 4 KiB pages and cuts at random points in copies of a real data file. Every trial ends
// detected (1433 at open, at a read or by Check) or harmless (every record read as written),
// never with a wrong record shown as right or a crash; every detected one is repaired at the
// next open to the same records, from the backup and the logs after it. The copies keep only
// the database folder: the backups are found through the backup journal (the destination
// beside the copy does not exist).
func TestDamageCampaign(t *testing.T) {
	base, want := campaignBase(t)
	orig, err := os.ReadFile(filepath.Join(base, "Data", "Shop.4DD"))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(*damageSeed))
	const trials = 120
	counts := map[string]int{}
	fixed, lost := 0, 0
	for i := range trials {
		dir := filepath.Join(t.TempDir(), "Shop")
		copyFolder(t, base, dir)
		b, what := damage(bytes.Clone(orig), i%4, rng)
		if err := os.WriteFile(filepath.Join(dir, "Data", "Shop.4DD"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		out := damagedOpen(dir, want)
		counts[out.where]++
		switch out.where {
		case "wrong", "crash":
			t.Errorf("trial %d (%s): %s: %s", i, what, out.where, out.detail)
			continue
		case "harmless":
			continue
		}
		if err := repaired(dir, want); err != nil {
			lost++
			t.Errorf("trial %d (%s), detected at %s (%s): not repaired: %v", i, what, out.where, out.detail, err)
		} else {
			fixed++
		}
	}
	detected := counts["open"] + counts["read"] + counts["check"]
	t.Logf("damage campaign (seed %d): %d trials, %d detected (%d at open, %d at a read, %d by Check), %d harmless, %d repaired, %d lost, %d wrong, %d crashes",
		*damageSeed, trials, detected, counts["open"], counts["read"], counts["check"], counts["harmless"], fixed, lost, counts["wrong"], counts["crash"])
}

// leafElements returns the file offsets of the leaf elements of key k in a bbolt file: one in
// each page that holds it, the live one and the free copies, which bbolt reuses in any order
// (the live page is not always the last: a checkpoint more, on a loaded machine, moves it).
func leafElements(t *testing.T, b []byte, k []byte) []int {
	t.Helper()
	ps := int(binary.LittleEndian.Uint32(b[16+8:]))
	var found []int
	for off := 2 * ps; off+ps <= len(b); off += ps {
		if binary.LittleEndian.Uint16(b[off+8:]) != 0x02 {
			continue
		}
		for i := 0; i < int(binary.LittleEndian.Uint16(b[off+10:])) && 16*(i+2) <= ps; i++ {
			e := off + 16 + 16*i
			pos, ks := int(binary.LittleEndian.Uint32(b[e+4:])), int(binary.LittleEndian.Uint32(b[e+8:]))
			if s := e + pos; s+ks <= len(b) && bytes.Equal(b[s:s+ks], k) {
				found = append(found, e)
			}
		}
	}
	if len(found) == 0 {
		t.Fatalf("key %x is in no leaf page", k)
	}
	return found
}

// The record whose leaf element got the "bucket" flag (one bit) is not hidden: its read is
// 1433, and the next open repairs the data file to the records as they were.
func TestRepairBucketFlag(t *testing.T) {
	dir, want := campaignBase(t)
	data := filepath.Join(dir, "Data", "Shop.4DD")
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := journal.AppendKey(nil, []journal.Value{journal.Int(150)})
	for _, e := range leafElements(t, b, k) {
		b[e] |= 0x01
	}
	if err := os.WriteFile(data, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out := damagedOpen(dir, want)
	if out.where != "open" && out.where != "read" {
		t.Fatalf("the flipped bucket flag: %s %s, want 1433 at open or read", out.where, out.detail)
	}
	if err := repaired(dir, want); err != nil {
		t.Fatal(err)
	}
}

// A backup of a data file whose tree is damaged where no read had looked copies the damage:
// restoring it fails with 1411 (it never reports success), and the repair goes on to the
// backup before it, with the logs after that one.
func TestDamagedTreeInBackup(t *testing.T) {
	dir, want := campaignBase(t)
	data := filepath.Join(dir, "Data", "Shop.4DD")
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := journal.AppendKey(nil, []journal.Value{journal.Int(100)})
	for _, e := range leafElements(t, b, k) {
		binary.LittleEndian.PutUint64(b[e/4096*4096:], 7777) // the page names another page
	}
	if err := os.WriteFile(data, b, 0o600); err != nil {
		t.Fatal(err)
	}

	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatalf("the damaged page is not on the open's path, yet: %v", err)
	}
	res, err := Run(context.Background(), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Restore(context.Background(), res.Archive, RestoreOptions{To: filepath.Join(t.TempDir(), "Restored")})
	if engine.CodeOf(err) != engine.CodeArchiveVerify {
		t.Fatalf("restore of the backup of a damaged tree: %v, want 1411", err)
	}
	if err := os.Remove(data); err != nil {
		t.Fatal(err)
	}
	rdb, rres, err := OpenOrRepair(context.Background(), dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if rres.Backup != 1 || len(rres.Skipped) != 1 {
		t.Fatalf("repair %+v, want backup 1 after skipping backup 2", rres)
	}
	sameContents(t, "repaired", contents(t, rdb), want)
}
