package engine

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Damage to the log of a database at rest (bit flips, runs of random bytes, zeroed pages,
// truncation at random points, 120 trials): every open either refuses it (1408, or 1416 for a
// header that names another database) or shows exactly the records written, never other ones
// and never a crash; and every one opens without its log (the way out) with every record,
// since the data file, checkpointed at close, holds them all.
func TestLogDamageCampaign(t *testing.T) {
	db, dir := newDB(t, Options{})
	p := db.NewProcess("")
	want := map[int64]string{}
	for i := int64(1); i <= 300; i++ {
		add(t, p, i, fmt.Sprintf("value %d", i))
		want[i] = fmt.Sprintf("value %d", i)
	}
	for i := int64(1); i <= 300; i += 7 {
		tx := p.Auto()
		if _, err := tx.Delete("T", key(i)); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		delete(want, i)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(filepath.Join(dir, "Data", "data.journal"))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(10, 7))
	kinds := []struct {
		name   string
		trials int
		damage func([]byte) []byte
	}{
		{"bit flip", 40, func(b []byte) []byte { b[rng.IntN(len(b))] ^= 1 << rng.IntN(8); return b }},
		{"run of random bytes", 30, func(b []byte) []byte {
			at, n := rng.IntN(len(b)), 1+rng.IntN(64)
			for i := at; i < min(len(b), at+n); i++ {
				b[i] = byte(rng.IntN(256))
			}
			return b
		}},
		{"zeroed page", 20, func(b []byte) []byte {
			at := rng.IntN(len(b)/4096+1) * 4096
			clear(b[at:min(len(b), at+4096)])
			return b
		}},
		{"truncation", 30, func(b []byte) []byte { return b[:rng.IntN(len(b))] }},
	}
	var trials, refused, whole2, recovered int
	for _, k := range kinds {
		for range k.trials {
			trials++
			d := filepath.Join(t.TempDir(), "Base")
			if out, err := exec.Command("cp", "-a", dir, d).CombinedOutput(); err != nil {
				t.Fatalf("cp: %v %s", err, out)
			}
			damaged := k.damage(append([]byte(nil), whole...))
			if err := os.WriteFile(filepath.Join(d, "Data", "data.journal"), damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := Open(d, Options{})
			switch {
			case err != nil:
				if c := CodeOf(err); c != CodeLogIO && c != CodeForeignLog {
					t.Fatalf("%s: refused with %v, want 1408 or 1416", k.name, err)
				}
				refused++
			default:
				same(t, names(t, db), want)
				db.Close()
				whole2++
				continue
			}
			db, err = Open(d, Options{WithoutLog: true})
			if err != nil {
				t.Fatalf("%s: the way out does not open: %v", k.name, err)
			}
			same(t, names(t, db), want)
			db.Close()
			recovered++
		}
	}
	t.Logf("log damage: %d trials, %d refused (1408/1416), %d harmless (all records, same data), %d of the refused opened without the log with every record, 0 wrong records, 0 crashes",
		trials, refused, whole2, recovered)
}
