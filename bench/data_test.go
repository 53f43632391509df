package bench

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"holdfast/engine"
	"holdfast/journal"
)

// person is one generated row. Every peer stores the same rows: the engine through its API,
// bbolt as the values' journal.AppendValues encoding, sqlite3 as an INSERT.
type person struct {
	id                                 int64
	name, email, city, address, remark string
}

const (
	tableName = "People"
	loadRows  = 200_000
	txRows    = 1_000
)

// peopleTable is the engine's definition of the table the rows go into.
func peopleTable() engine.Table {
	return engine.Table{Name: tableName, Journaled: true, PrimaryKey: []string{"id"}, Fields: []engine.Field{
		{Name: "id", Type: journal.KindInt},
		{Name: "name", Type: journal.KindText},
		{Name: "email", Type: journal.KindText},
		{Name: "city", Type: journal.KindText},
		{Name: "address", Type: journal.KindText},
		{Name: "remark", Type: journal.KindText},
	}}
}

const sqlSchema = "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, email TEXT, city TEXT, address TEXT, remark TEXT);\n"

var syllables = strings.Fields("ka ro mi tes lun va dor pi sel an qu ber to fa nel gri hum ost we zy")

// words builds lower-case text of about n bytes from syllables and spaces (no quotes, so it
// goes into SQL literals as is).
func words(rng *rand.Rand, n int) string {
	var sb strings.Builder
	for sb.Len() < n {
		if sb.Len() > 0 && rng.IntN(3) == 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(syllables[rng.IntN(len(syllables))])
	}
	return sb.String()[:n]
}

var (
	peopleOnce sync.Once
	people     []person
)

// rows returns the 200,000 generated rows, the same in every benchmark of a run (and of every
// run: the generator has a fixed seed). Their encoded values are about 200 bytes.
func rows() []person {
	peopleOnce.Do(func() {
		rng := rand.New(rand.NewPCG(2024, 7))
		people = make([]person, loadRows)
		for i := range people {
			people[i] = person{
				id:      int64(i + 1),
				name:    words(rng, 20+rng.IntN(10)),
				email:   words(rng, 12+rng.IntN(6)) + "@" + words(rng, 8) + ".example",
				city:    words(rng, 8+rng.IntN(8)),
				address: fmt.Sprintf("%d %s", 1+rng.IntN(999), words(rng, 36+rng.IntN(16))),
				remark:  words(rng, 60+rng.IntN(20)),
			}
		}
	})
	return people
}

func (p *person) fields() map[string]journal.Value {
	return map[string]journal.Value{
		"id": journal.Int(p.id), "name": journal.Text(p.name), "email": journal.Text(p.email),
		"city": journal.Text(p.city), "address": journal.Text(p.address), "remark": journal.Text(p.remark),
	}
}

func (p *person) values() []byte {
	return journal.AppendValues(nil, []journal.Value{journal.Int(p.id), journal.Text(p.name),
		journal.Text(p.email), journal.Text(p.city), journal.Text(p.address), journal.Text(p.remark)})
}

func (p *person) bboltKey() []byte { return binary.BigEndian.AppendUint64(nil, uint64(p.id)) }

func (p *person) insert(sb *strings.Builder) {
	fmt.Fprintf(sb, "INSERT INTO people VALUES (%d,'%s','%s','%s','%s','%s');\n",
		p.id, p.name, p.email, p.city, p.address, p.remark)
}

// fieldMaps returns the engine's input for rows (built before any timer starts: the callers
// of the other peers get their input ready-made too).
func fieldMaps(rs []person) []map[string]journal.Value {
	out := make([]map[string]journal.Value, len(rs))
	for i := range rs {
		out[i] = rs[i].fields()
	}
	return out
}

// newEngine creates a database with the People table in a fresh folder under dir.
func newEngine(b *testing.B, dir string, opts engine.Options) *engine.DB {
	b.Helper()
	db, err := engine.Create(filepath.Join(dir, "Base"), opts)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.CreateTable(peopleTable()); err != nil {
		b.Fatal(err)
	}
	return db
}

// autoAdd adds one record in its own autocommit transaction.
func autoAdd(p *engine.Process, vals map[string]journal.Value) error {
	tx := p.Auto()
	if _, err := tx.Add(tableName, vals); err != nil {
		return err
	}
	_, err := tx.Commit()
	return err
}

// settle flushes what earlier phases left dirty in the page cache and collects garbage, so
// that the next measured phase does not pay for the previous one.
func settle() {
	syscall.Sync()
	runtime.GC()
}

// perSec is n per elapsed second.
func perSec(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

// copyDir copies the regular files of a folder tree (what a database folder holds).
func copyDir(dst, src string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(target, path)
	})
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func fileSize(b *testing.B, path string) int64 {
	b.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}
