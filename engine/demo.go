package engine

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"

	"holdfast/journal"
)

// FillDemo gives a new database sample tables with realistic rows: customers (each with a
// portrait picture BLOB), invoices, and call notes.
func FillDemo(db *DB) error {
	tables := []Table{
		{Name: "Customers", Journaled: true, PrimaryKey: []string{"id"}, Fields: []Field{
			{"id", journal.KindInt}, {"name", journal.KindText}, {"email", journal.KindText}, {"city", journal.KindText},
			{"since", journal.KindDate}, {"vip", journal.KindBool}, {"photo", journal.KindBlob}}},
		{Name: "Invoices", Journaled: true, PrimaryKey: []string{"number"}, Fields: []Field{
			{"number", journal.KindInt}, {"customer", journal.KindInt}, {"issued", journal.KindDate},
			{"amount", journal.KindReal}, {"paid", journal.KindBool}, {"note", journal.KindText}}},
		{Name: "Calls", Journaled: true, PrimaryKey: []string{"customer", "day", "at"}, Fields: []Field{
			{"customer", journal.KindInt}, {"day", journal.KindDate}, {"at", journal.KindTime}, {"summary", journal.KindText}}},
	}
	for _, t := range tables {
		if err := db.CreateTable(t); err != nil {
			return err
		}
	}
	first := []string{"Ana", "Bruno", "Chloé", "Dmitri", "Emma", "Farid", "Grace", "Hiroshi", "Inès", "João", "Karin", "Liam"}
	last := []string{"Silva", "Martin", "Okafor", "Novak", "Schmidt", "Haddad", "Lee", "Tanaka", "Dubois", "Costa"}
	cities := []string{"Lisbon", "Lyon", "Lagos", "Prague", "Hamburg", "Beirut", "Seoul", "Osaka", "Montréal", "Porto"}
	notes := []string{"", "paid by transfer", "second reminder sent", "discount 5%", "delivered late"}
	p := db.NewProcess("demo")
	defer p.Close()
	_, err := p.Update(func(tx *Tx) error {
		for i := 0; i < 48; i++ {
			name := first[i%len(first)] + " " + last[(i*7)%len(last)]
			if _, err := tx.Add("Customers", map[string]journal.Value{
				"id": journal.Int(int64(1001 + i)), "name": journal.Text(name),
				"email": journal.Text(fmt.Sprintf("%s.%d@example.com", first[i%len(first)], 1001+i)),
				"city":  journal.Text(cities[(i*3)%len(cities)]),
				"since": journal.Date(int64(17000 + i*53)),
				"vip":   journal.Bool(i%5 == 0),
				"photo": journal.Blob(portrait(i)),
			}); err != nil {
				return err
			}
		}
		for i := 0; i < 240; i++ {
			// Whole cents divided once: 257.47 is stored, not the 257.46999999999997 of 237.57 + 19.9.
			amount := float64((i*7919)%90000+1990) / 100
			if _, err := tx.Add("Invoices", map[string]journal.Value{
				"number": journal.Int(int64(20250001 + i)), "customer": journal.Int(int64(1001 + (i*13)%48)),
				"issued": journal.Date(int64(19700 + i*2)), "amount": journal.Real(amount),
				"paid": journal.Bool(i%4 != 0), "note": journal.Text(notes[i%len(notes)]),
			}); err != nil {
				return err
			}
		}
		for i := 0; i < 60; i++ {
			if _, err := tx.Add("Calls", map[string]journal.Value{
				"customer": journal.Int(int64(1001 + i%48)), "day": journal.Date(int64(20300 + i/3)),
				"at": journal.TimeOfDay(int64((9*3600 + i*1700) % 86400 * 1000)), "summary": journal.Text("Asked about invoice status"),
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// portrait draws a small picture: a head and shoulders on a coloured background.
func portrait(seed int) []byte {
	const size = 64
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	bg := color.RGBA{uint8(80 + seed*37%150), uint8(120 + seed*53%120), uint8(140 + seed*29%110), 255}
	fg := color.RGBA{uint8(seed * 71 % 90), uint8(40 + seed*13%60), uint8(60 + seed*17%80), 255}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			c := bg
			dx, dy := float64(x-32), float64(y-24)
			if math.Hypot(dx, dy) < 13 || (y > 42 && math.Abs(dx) < 26-float64(64-y)/3) {
				c = fg
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}
