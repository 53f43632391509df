package ui

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"holdfast/backup"
	"holdfast/dialogs"
	"holdfast/engine"
	"holdfast/journal"
)

// typedCommand finds, in a text, a holdfast command or a flag: what the command line says to
// type, which the window must say as what to click.
var typedCommand = regexp.MustCompile(`\bholdfast (gui|create|exec|log|analyze|integrate|backup|history|verify|restore|rollback|settings|help)\b|(^|[\s(` + "`" + `])--[a-z][a-z-]*`)

// noTypedCommand fails when text, as the window shows it, tells people to type a command.
func noTypedCommand(t *testing.T, what, text string) {
	t.Helper()
	if c := typedCommand.FindString(text); c != "" {
		t.Errorf("%s: the window says to type %q:\n%s", what, strings.TrimLeft(c, " \t\n(`"), text)
	}
}

// Every code's sentence, as an alert shows it, says what to click, not what to type.
func TestWindowCodeSentencesNameNoCommand(t *testing.T) {
	for _, ci := range engine.Codes {
		noTypedCommand(t, ci.Name, codedError(&engine.Error{Code: ci.Code}).Error())
	}
}

// Every error built with a command to type, as the window shows it, says what to click
// instead; the command line still says the command (err.Error() unchanged).
func TestWindowErrorsNameNoCommand(t *testing.T) {
	ctx := context.Background()
	shop := func(t *testing.T) string {
		dir := filepath.Join(uiTempDir(t), "Shop")
		shopDB(t, dir, 20)
		return dir
	}
	open := func(t *testing.T, dir string) *engine.DB {
		t.Helper()
		db, err := engine.Open(dir, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	backedUp := func(t *testing.T, dir string) *backup.Result {
		t.Helper()
		db := open(t, dir)
		res, err := backup.Run(ctx, db, backup.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// pendingLog is a database whose log was turned on after its data changed: it waits for
	// the next backup (2015).
	pendingLog := func(t *testing.T) (*engine.DB, error) {
		db := open(t, shop(t))
		if err := db.StopLog(); err != nil {
			t.Fatal(err)
		}
		addCustomers(t, db, 21, 22)
		return db, db.StartLog("")
	}
	for _, c := range []struct {
		name        string
		make        func(t *testing.T) error
		cli, window string // what the command line says (as it did), and what the window says instead
	}{
		{"the log asked for waits for a backup", func(t *testing.T) error {
			_, err := pendingLog(t)
			return err
		}, "(holdfast backup DB)", "(File > Backup...)"},
		{"new log file while the log waits for a backup", func(t *testing.T) error {
			db, _ := pendingLog(t)
			return db.NewLogAllowed()
		}, "make a backup (holdfast backup DB) first. The database has no log file; turn on the log (holdfast log DB create)", "make a backup (File > Backup...) first"},
		{"the log keys through the settings", func(t *testing.T) error {
			db := open(t, shop(t))
			s := db.Settings()
			s.SetLogUse(false)
			return db.UpdateSettings(s)
		}, "(holdfast log DB create|stop)", "Use Log (File > Database Settings... > Configuration)"},
		{"the log missing", func(t *testing.T) error {
			dir := shop(t)
			must(t, os.Remove(filepath.Join(dir, "Data", "data.journal")))
			_, err := engine.Open(dir, engine.Options{})
			return err
		}, "(holdfast log DB new), or stop the log (holdfast log DB stop)", "(Open Without the Log)"},
		{"a write after opening without the log", func(t *testing.T) error {
			dir := shop(t)
			must(t, os.Remove(filepath.Join(dir, "Data", "data.journal")))
			db, err := engine.Open(dir, engine.Options{WithoutLog: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			_, err = db.NewProcess("").Update(func(tx *engine.Tx) error {
				_, err := tx.Delete("Customers", []journal.Value{journal.Int(1)})
				return err
			})
			return err
		}, "(holdfast log DB new)", "(Open Without the Log)"},
		{"the log cut below what the data file holds", func(t *testing.T) error {
			dir := shop(t)
			log := filepath.Join(dir, "Data", "data.journal")
			b, err := os.ReadFile(log)
			must(t, err)
			must(t, os.WriteFile(log, b[:len(b)/2], 0o600))
			_, err = engine.Open(dir, engine.Options{})
			return err
		}, "open the database without its log (holdfast log DB stop)", "(Open Without the Log)"},
		{"the structure file missing", func(t *testing.T) error {
			dir := shop(t)
			must(t, os.Remove(filepath.Join(dir, engine.CatalogFile)))
			_, err := engine.Open(dir, engine.Options{})
			return err
		}, "restore one with --items structure", "File > Restore..., Structure only"},
		{"not a database", func(t *testing.T) error {
			_, err := engine.Open(uiTempDir(t), engine.Options{})
			return err
		}, "create one with holdfast create DB", "File > Open Database..."},
		{"a rollback to the last operation", func(t *testing.T) error {
			dir := shop(t)
			_, err := backup.Rollback(ctx, dir, 1000)
			return err
		}, "(holdfast analyze ", "Maintenance and Security... > Rollback lists them"},
		{"a damaged data file, not repaired on its own", func(t *testing.T) error {
			dir := shop(t)
			db := open(t, dir)
			if _, err := backup.Run(ctx, db, backup.Options{}); err != nil {
				t.Fatal(err)
			}
			s := db.Settings()
			must(t, s.Set("restore.autoRestoreIfDamaged", "false"))
			must(t, db.UpdateSettings(s))
			must(t, db.Close())
			zeroStart(t, filepath.Join(dir, "Data", "Shop.4DD"))
			_, _, err := backup.OpenOrRepair(ctx, dir, engine.Options{})
			return err
		}, "set restore.autoRestoreIfDamaged true) and open it again", "Repair now takes these steps"},
		{"a damaged data file whose backup history is damaged too", func(t *testing.T) error {
			dir := shop(t)
			db := open(t, dir)
			res, err := backup.Run(ctx, db, backup.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s := db.Settings()
			must(t, s.Set("restore.autoRestoreIfDamaged", "false"))
			must(t, db.UpdateSettings(s))
			must(t, db.Close())
			must(t, os.Remove(res.Archive))
			must(t, os.WriteFile(filepath.Join(filepath.Dir(res.Archive), backup.HistoryFile), []byte("{"), 0o600))
			zeroStart(t, filepath.Join(dir, "Data", "Shop.4DD"))
			_, _, err = backup.OpenOrRepair(ctx, dir, engine.Options{})
			return err
		}, "(they stay usable with holdfast restore)", "(they stay usable with File > Restore...)"},
		{"a restore into a folder that exists", func(t *testing.T) error {
			res := backedUp(t, shop(t))
			_, err := backup.Restore(ctx, res.Archive, backup.RestoreOptions{To: uiTempDir(t)})
			return err
		}, "choose a new folder (--to)", "choose a new folder (Into)"},
		{"a restore of the data of an archive without it", func(t *testing.T) error {
			dir := shop(t)
			db := open(t, dir)
			s := db.Settings()
			must(t, s.Set("content.data", "false"))
			if err := db.UpdateSettings(s); err != nil {
				t.Fatal(err)
			}
			res, err := backup.Run(ctx, db, backup.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = backup.Restore(ctx, res.Archive, backup.RestoreOptions{To: filepath.Join(uiTempDir(t), "R")})
			return err
		}, "restore it with --items structure,attachments", "(untick Data)"},
		{"a restore with a log backup missing", func(t *testing.T) error {
			dir := shop(t)
			db := open(t, dir)
			first, err := backup.Run(ctx, db, backup.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ {
				addCustomers(t, db, 30+i, 30+i)
				if _, err := backup.Run(ctx, db, backup.Options{}); err != nil {
					t.Fatal(err)
				}
			}
			must(t, os.Remove(filepath.Join(filepath.Dir(first.Archive), backup.LogBackupName("Shop", 1))))
			_, err = backup.Restore(ctx, first.Archive, backup.RestoreOptions{To: filepath.Join(uiTempDir(t), "R")})
			return err
		}, "or restore with --integrate none or --log up to the gap", "Integrate set to None"},
		{"a restore with a chosen log file gone", func(t *testing.T) error {
			res := backedUp(t, shop(t))
			gone := filepath.Join(uiTempDir(t), backup.LogBackupName("Shop", 1))
			_, err := backup.Restore(ctx, res.Archive, backup.RestoreOptions{To: filepath.Join(uiTempDir(t), "R"), Logs: []string{gone}})
			return err
		}, "the log file is not there: put it back, or restore with --integrate none or --log up to the gap", "Integrate set to None"},
		{"a restore whose database's log setting is bad", func(t *testing.T) error {
			dir := shop(t)
			res := backedUp(t, dir)
			spoil(t, dir, "<use>true</use>", "<use>perhaps</use>")
			_, err := backup.Restore(ctx, res.Archive, backup.RestoreOptions{To: filepath.Join(uiTempDir(t), "R")})
			return err
		}, "(holdfast restore --integrate none or --log FILE;", "(Integrate: None, or These log files)"},
		{"a damaged backup history", func(t *testing.T) error {
			res := backedUp(t, shop(t))
			dest := filepath.Dir(res.Archive)
			must(t, os.WriteFile(filepath.Join(dest, backup.HistoryFile), []byte("{"), 0o600))
			_, err := backup.LoadHistory(dest)
			return historyError(dest, err) // as the Backup and Restore windows show it
		}, "(they stay usable with holdfast restore)", "(they stay usable with File > Restore...)"},
		{"a backup with a bad setting", func(t *testing.T) error {
			dir := shop(t)
			spoil(t, dir, "<compression>fast</compression>", "<compression>zstd</compression>")
			_, err := backup.Run(ctx, open(t, dir), backup.Options{})
			return err
		}, "or with holdfast settings DB set archive.compression VALUE", "File > Database Settings... (shown in red there)"},
		{"a backup with two bad settings", func(t *testing.T) error {
			dir := shop(t)
			spoil(t, dir, "<compression>fast</compression>", "<compression>zstd</compression>", "<verify>true</verify>", "<verify>maybe</verify>")
			_, err := backup.Run(ctx, open(t, dir), backup.Options{})
			return err
		}, "or with holdfast settings DB set KEY VALUE", "replace each in File > Database Settings..."},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.make(t)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.cli) {
				t.Errorf("the command line no longer says %q:\n%v", c.cli, err)
			}
			for what, shown := range map[string]string{
				"the alert":            codedError(err).Error(),
				"the backup's result":  ResultSentence(nil, err),
				"the restore's result": restoreSentence(nil, err),
				"a page of a window":   engine.WindowText(err),
			} {
				noTypedCommand(t, what, shown)
				if !strings.Contains(shown, c.window) {
					t.Errorf("%s does not say %q:\n%s", what, c.window, shown)
				}
			}
		})
	}
}

// A scheduler setting that holds a bad value: the status bar says where to fix it, not the
// command that sets it.
func TestStatusScheduleProblemNamesNoCommand(t *testing.T) {
	dir := filepath.Join(uiTempDir(t), "Shop")
	shopDB(t, dir, 1)
	spoil(t, dir, "<mode>never</mode>", "<mode>often</mode>")
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	line := statusLine(db, time.Now(), nil)
	if !strings.Contains(line, "Next backup: none, error 2009") || !strings.Contains(line, "File > Database Settings...") {
		t.Errorf("the status bar does not say the schedule's bad value and where to fix it: %s", line)
	}
	noTypedCommand(t, "the status bar", line)
}

// File > Open Database... on a folder that is no database (2013), and File > New Log File
// while the log waits for a backup (1403): the alert says what to click.
func TestAlertsSayWhatToClick(t *testing.T) {
	fake := &dialogs.Fake{}
	d, w := newDesktop(t, fake, "")
	notDB := uiTempDir(t)
	fake.Choose(notDB)
	onUI(d.OpenDatabase)
	waitFor(t, w, "the 2013 alert", func() bool { return strings.Contains(strings.Join(overlayText(d.Main.Window), " "), "2013") })
	words := overlayWords(d.Main.Window)
	noTypedCommand(t, "not a database", words)
	if !strings.Contains(words, "File > New Database...") {
		t.Errorf("the alert does not say what to click:\n%s", words)
	}
	saveCapture(t, d.Main.Window, filepath.Join("testdata", "ui", "alert_not_a_database.png"))
	pressOverlay(t, d.Main.Window, "OK")

	dir := filepath.Join(uiTempDir(t), "Shop")
	shopDB(t, dir, 20)
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	must(t, db.StopLog())
	addCustomers(t, db, 21, 22)
	if err := db.StartLog(""); engine.CodeOf(err) != engine.CodeLogRequiresBkp {
		t.Fatalf("the log turned on after a change: %v, want 2015", err)
	}
	must(t, db.Close())
	d.Open(dir)
	waitFor(t, w, "the database open", func() bool { return openedName(d) == "Shop" })
	onUI(d.Main.NewLogFile)
	waitFor(t, w, "the 1403 alert", func() bool { return strings.Contains(strings.Join(overlayText(d.Main.Window), " "), "1403") })
	words = overlayWords(d.Main.Window)
	noTypedCommand(t, "new log file", words)
	if !strings.Contains(words, "File > Backup...") || !strings.Contains(words, "Use Log") {
		t.Errorf("the alert does not say what to click:\n%s", words)
	}
	saveCapture(t, d.Main.Window, filepath.Join("testdata", "ui", "alert_new_log_pending.png"))
}
