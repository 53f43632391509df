package ui

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"holdfast/engine"
	"holdfast/journal"
)

// BenchmarkBrowserPage times the pages of the record browser on a table of a million records:
// from the click on Next (or the choice of the table) to the page shown, read off the Fyne
// thread, for the first page, pages deep into the table, and back. The goal is 100 ms a page.
func BenchmarkBrowserPage(b *testing.B) {
	const rows = 1_000_000
	db, err := engine.Create(filepath.Join(b.TempDir(), "Big"), engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	err = db.CreateTable(engine.Table{Name: "Items", Journaled: true, PrimaryKey: []string{"id"}, Fields: []engine.Field{
		{Name: "id", Type: journal.KindInt}, {Name: "name", Type: journal.KindText}, {Name: "note", Type: journal.KindText}}})
	if err != nil {
		b.Fatal(err)
	}
	p := db.NewProcess("")
	for lo := 1; lo <= rows; lo += 10_000 {
		_, err := p.Update(func(tx *engine.Tx) error {
			for i := lo; i < lo+10_000; i++ {
				if _, err := tx.Add("Items", map[string]journal.Value{"id": journal.Int(int64(i)),
					"name": journal.Text(fmt.Sprintf("item %07d", i)), "note": journal.Text("a note of a few words")}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	p.Close()
	// As a person meets it: the database opened again, its records in the data file.
	dir := db.Dir()
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	if db, err = engine.Open(dir, engine.Options{}); err != nil {
		b.Fatal(err)
	}
	a := test.NewTempApp(b)
	loaded := make(chan struct{}, 1)
	br := NewBrowser(db)
	br.OnLoaded = func() { loaded <- struct{}{} }
	w := a.NewWindow("bench")
	w.SetContent(br.Object())
	w.Show()
	defer w.Close()
	var worst, total, first time.Duration
	pages := 0
	turn := func(step func()) {
		start := time.Now()
		step()
		<-loaded
		d := time.Since(start)
		worst, total, pages = max(worst, d), total+d, pages+1
	}
	for b.Loop() {
		start := time.Now()
		br.Show("Items")
		<-loaded
		first = max(first, time.Since(start))
		for range 50 {
			turn(br.Next)
		}
		for range 5 {
			turn(br.Previous)
		}
	}
	if got := br.Rows(); len(got) != PageSize {
		b.Fatalf("a page holds %d records", len(got))
	}
	b.ReportMetric(float64(total.Microseconds())/float64(pages)/1000, "ms/page")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst_ms/page")
	b.ReportMetric(float64(first.Microseconds())/1000, "first_page_ms")
}
