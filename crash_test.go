package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"holdfast/engine"
	"holdfast/journal"
)

// The test binary doubles as the holdfast command: as the crash child (`holdfast exec DB`), and
// as the whole command when HOLDFAST_ARGS holds its arguments as JSON.
func TestMain(m *testing.M) {
	if args := os.Getenv("HOLDFAST_ARGS"); args != "" {
		var list []string
		if err := json.Unmarshal([]byte(args), &list); err != nil {
			fmt.Fprintln(os.Stderr, "HOLDFAST_ARGS:", err)
			os.Exit(2)
		}
		os.Args = append([]string{"holdfast"}, list...)
		main()
		os.Exit(0)
	}
	if dir := os.Getenv("HOLDFAST_CRASH_CHILD"); dir != "" {
		if err := run([]string{"exec", dir}, os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type sent struct {
	kind  string // add, tx, modify, other
	id    int64
	group int64
	size  int
	value int64
}

// crashModel is what the writes acknowledged so far allow the data to be.
type crashModel struct {
	mu       sync.Mutex        // the writer and the reader of a round share it
	acked    map[int64]bool    // autocommit adds answered
	maybe    map[int64]bool    // autocommit adds sent, not answered
	groups   map[int64]int     // transaction -> size
	ackedGrp map[int64]bool    // transactions whose commit was answered
	values   map[int64][]int64 // id -> values it may hold: the last acknowledged, then those sent since, in order
	ackedVal map[int64]int64   // id -> last acknowledged value
}

func TestCrashKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: -short")
	}
	rounds := 60
	dir := filepath.Join(t.TempDir(), "Crash")
	if err := run([]string{"create", dir}, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	m := &crashModel{acked: map[int64]bool{}, maybe: map[int64]bool{}, groups: map[int64]int{}, ackedGrp: map[int64]bool{},
		values: map[int64][]int64{}, ackedVal: map[int64]int64{}}
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	nextID, nextGroup := int64(1), int64(1)
	for round := 0; round < rounds; round++ {
		nextID, nextGroup = crashRound(t, dir, round, rng, m, nextID, nextGroup)
		checkCrashModel(t, dir, round, m)
	}
	acked := 0
	for range m.acked {
		acked++
	}
	t.Logf("%d rounds: %d autocommit adds and %d transactions acknowledged", rounds, acked, len(m.ackedGrp))
	if acked == 0 || len(m.ackedGrp) == 0 {
		t.Fatal("no write was acknowledged before the kills: the test proves nothing")
	}
}

func crashRound(t *testing.T, dir string, round int, rng *rand.Rand, m *crashModel, nextID, nextGroup int64) (int64, int64) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HOLDFAST_CRASH_CHILD="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	queue := make(chan sent, 1<<16)
	{ // every round: a kill may have come before the table was made
		fmt.Fprintln(stdin, `{"op":"createTable","table":"C","fields":[{"name":"id","type":"integer"},{"name":"grp","type":"integer"},{"name":"v","type":"integer"}],"primaryKey":["id"]}`)
		queue <- sent{kind: "other"}
	}
	killAt := time.Duration(5+rng.IntN(120)) * time.Millisecond
	stopWriting, writerDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(writerDone)
		defer stdin.Close()
		w := bufio.NewWriter(stdin)
		for i := 0; ; i++ {
			select {
			case <-stopWriting:
				return
			default:
			}
			var s sent
			m.mu.Lock()
			switch r := rng.IntN(10); {
			case r < 5:
				s = sent{kind: "add", id: nextID}
				nextID++
				fmt.Fprintf(w, `{"op":"add","table":"C","values":{"id":%d,"grp":0,"v":0}}`+"\n", s.id)
			case r < 8 || len(m.ackedVal) == 0:
				s = sent{kind: "tx", group: nextGroup, size: 2 + rng.IntN(30)}
				nextGroup++
				fmt.Fprintln(w, `{"op":"begin"}`)
				for j := 0; j < s.size; j++ {
					fmt.Fprintf(w, `{"op":"add","table":"C","values":{"id":%d,"grp":%d,"v":0}}`+"\n", nextID, s.group)
					nextID++
				}
				fmt.Fprintln(w, `{"op":"commit"}`)
			default:
				for id := range m.ackedVal {
					s = sent{kind: "modify", id: id, value: int64(round*100000 + i)}
					break
				}
				fmt.Fprintf(w, `{"op":"modify","table":"C","key":[%d],"values":{"v":%d}}`+"\n", s.id, s.value)
			}
			switch s.kind {
			case "add":
				m.maybe[s.id] = true
			case "tx":
				m.groups[s.group] = s.size
			case "modify":
				if m.values[s.id] == nil {
					m.values[s.id] = []int64{m.ackedVal[s.id]}
				}
				m.values[s.id] = append(m.values[s.id], s.value)
			}
			m.mu.Unlock()
			queue <- s
			if i%8 == 0 {
				w.Flush()
			}
		}
	}()
	// Read answers in order until the kill.
	timer := time.AfterFunc(killAt, func() { cmd.Process.Signal(syscall.SIGKILL) })
	defer timer.Stop()
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var cur sent
	inTx := 0
	for sc.Scan() {
		var ans struct {
			OK    bool   `json:"ok"`
			Op    uint64 `json:"op"`
			Code  int    `json:"code"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ans); err != nil {
			t.Fatalf("round %d: bad answer %q", round, sc.Text())
		}
		if !ans.OK && !(inTx == 0 && len(queue) > 0 && ans.Code == int(engine.CodeExists)) {
			t.Fatalf("round %d: a write failed: %s", round, ans.Error)
		}
		m.mu.Lock()
		if inTx == 0 {
			cur = <-queue
			switch cur.kind {
			case "add":
				m.acked[cur.id] = true
				delete(m.maybe, cur.id)
				m.ackedVal[cur.id] = 0
			case "modify":
				m.ackedVal[cur.id] = cur.value
				// Acknowledged: older values are gone, later modifies may still land.
				vals := m.values[cur.id]
				m.values[cur.id] = vals[slices.Index(vals, cur.value):]
			case "tx":
				inTx = cur.size + 2 // begin, adds, commit
			}
		}
		if inTx > 0 {
			inTx--
			if inTx == 0 {
				m.ackedGrp[cur.group] = true
			}
		}
		m.mu.Unlock()
	}
	close(stopWriting)
	<-writerDone
	cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("round %d: the child ended before the kill: %s", round, stderr.String())
	}
	return nextID, nextGroup
}

func checkCrashModel(t *testing.T, dir string, round int, m *crashModel) {
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatalf("round %d: reopen: %v", round, err)
	}
	defer db.Close()
	if db.Catalog().Table("C") == nil {
		return // killed before the table existed
	}
	found := map[int64][2]int64{}
	var after []journal.Value
	for {
		recs, err := db.Scan("C", after, 5000)
		if err != nil {
			t.Fatalf("round %d: scan: %v", round, err)
		}
		for _, r := range recs {
			found[r.Values[0].I] = [2]int64{r.Values[1].I, r.Values[2].I}
		}
		if len(recs) < 5000 {
			break
		}
		after = []journal.Value{recs[len(recs)-1].Values[0]}
	}
	n, err := db.Count("C")
	if err != nil {
		t.Fatalf("round %d: count: %v", round, err)
	}
	if int(n) != len(found) {
		t.Fatalf("round %d: count %d but %d records", round, n, len(found))
	}
	for id := range m.acked {
		if _, ok := found[id]; !ok {
			t.Fatalf("round %d: acknowledged record %d is lost", round, id)
		}
	}
	perGroup := map[int64]int{}
	for id, rec := range found {
		if rec[0] != 0 {
			perGroup[rec[0]]++
		} else if !m.acked[id] && !m.maybe[id] {
			t.Fatalf("round %d: record %d was never sent", round, id)
		}
		if vals := m.values[id]; vals != nil && !slices.Contains(vals, rec[1]) {
			t.Fatalf("round %d: record %d holds %d, not an acknowledged or pending value %v", round, id, rec[1], vals)
		}
	}
	for g, size := range m.groups {
		n := perGroup[g]
		if n != 0 && n != size {
			t.Fatalf("round %d: transaction %d is half there: %d of %d records", round, g, n, size)
		}
		if m.ackedGrp[g] && n != size {
			t.Fatalf("round %d: acknowledged transaction %d is lost", round, g)
		}
	}
	// What was maybe there is now settled one way or the other.
	for id := range m.maybe {
		if _, ok := found[id]; ok {
			m.acked[id] = true
			m.ackedVal[id] = 0
		}
		delete(m.maybe, id)
	}
	for g := range m.groups {
		if perGroup[g] == m.groups[g] {
			m.ackedGrp[g] = true
		} else {
			delete(m.groups, g)
		}
	}
	for id, vals := range m.values {
		if len(vals) > 1 {
			m.values[id] = []int64{found[id][1]}
			m.ackedVal[id] = found[id][1]
		}
	}
}
