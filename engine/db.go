package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"holdfast/journal"
	"holdfast/settings"
)

// Options tune Open and Create. The zero value is what the application uses.
type Options struct {
	FS       journal.FS // nil: the real filesystem
	ReadOnly bool       // refuse every write; the log is not touched

	// WithoutLog opens a database whose log file is missing, unreadable or refused (damaged,
	// cut short, another database's): what can be read of it up to the damage is integrated,
	// the file is left as it is, and writes are refused with 1274 until a backup starts a new
	// log (or the log is stopped). It is the way out that S3.4 offers; without it such an open
	// fails (1408, 1416), and a read-only open goes on without the log.
	WithoutLog bool

	// Integrate is asked, when restore.autoIntegrateLog is off and the log holds operations the
	// data file lacks, whether to integrate them. nil or false: they are not integrated and the
	// database is opened read-only (writes fail with 2011).
	Integrate func(Incomplete) bool

	SystemUser string // logged with every operation; default: the account name
	User       string // application user; default: SystemUser

	CheckpointBytes    int64         // cache size that triggers a checkpoint; default 4 MiB
	CheckpointInterval time.Duration // checkpoint at least this often; default 1 s

	// Progress, when set, is told how far the integration that opening does has read the log
	// files (at open, S3.5 step 2; in OpenRestored, the logs of the restore): bytes read and
	// their total, after each batch.
	Progress func(done, total int64)

	// OnDamage, when set, is told once, from a goroutine of its own, when a read or Check
	// finds the data file damaged (the 1433 error, also returned by Damaged). The database
	// then refuses writes with that error; closing it and opening it again through
	// backup.OpenOrRepair repairs it (see damage.go).
	OnDamage func(error)
}

// Incomplete describes operations of the log that the data file lacks.
type Incomplete struct {
	From, To   uint64 // operation numbers
	Operations int    // data operations among them
}

// OpenReport says what Open did on its own: what a careful user wants to know.
type OpenReport struct {
	TornTail   *journal.TornTailError // a torn tail truncated from the log, or nil
	Integrated int                    // operations integrated from the log
	Incomplete *Incomplete            // operations left out (not integrated), or nil
	LogPending bool                   // the log waits for the next backup
	LogMissing error                  // opened without its log (WithoutLog, ReadOnly): why it could not be used
	JournalErr error                  // the backup journal could not be written
}

// DB is an open database. It is safe for concurrent use.
type DB struct {
	// progress, during IntegrateProgress, is told the offset read in the file being integrated;
	// stopInteg, when done, stops the integration between two batches.
	progress  func(off int64)
	stopInteg <-chan struct{}
	brokeOff  bool // the last integrate stopped at stopInteg before the end of its log
	// afterBatch, when set, runs after each batch of an integration is committed; batchOps,
	// when not 0, is the size of those batches instead of integrateBatch.
	afterBatch func()
	batchOps   int
	// backupNow is the backup running (db.backup), read without wmu.
	backupNow atomic.Pointer[BackupSnapshot]
	dir, name string
	fs        journal.FS
	opts      Options
	bolt      *bolt.DB
	dataFile  *os.File                  // the data file, opened again for reads that check its pages
	pageSize  int                       // the data file's page size
	rootsOf   atomic.Pointer[rootCache] // the root bucket of the version last read
	damage    atomic.Pointer[Error]     // damage a read found (see damage.go), or nil
	running   atomic.Bool               // opened: Open or OpenRestored returned it
	id        [16]byte
	report    OpenReport
	settings  atomic.Pointer[settings.Settings] // replaced whole by saveSettings, read without wmu

	catMu sync.RWMutex
	cat   *Catalog

	// wmu orders writes: validation, operation numbers, log appends. Lock order: ckptMu, wmu, vmu.
	wmu      sync.Mutex
	nextOp   uint64
	epoch    uint64 // counts commits that changed data: a transaction resolved since is current
	nextProc uint32
	seq      map[string]uint64 // next record number per table
	keyMax   map[string]string // per table, no key written so far is above this
	batches  []*batch          // logged batches in operation order, waiting to be published
	log      *journal.Writer   // nil when the log is off
	logErr   error             // sticky 1274 once the log failed
	readOnly *Error            // why writes are refused, or nil
	closed   bool
	backup   *BackupSnapshot // the backup running, if any

	// infoMu guards log, logErr and report for the readers that do not wait for wmu (a window
	// asks LogStatus and Report while an integration holds wmu): once the database runs, they
	// change with wmu and infoMu held.
	infoMu sync.Mutex

	// vmu guards the visible state: what readers see.
	vmu        sync.RWMutex
	overlay    map[string]map[string]entry // table -> key -> latest durable change not yet checkpointed
	frozen     map[string]map[string]entry // being written by a checkpoint
	diskMax    map[string]string           // per table, no key in the data file is above this
	overBytes  int64
	counts     map[string]int64
	visibleOp  uint64
	lastChange uint64       // operation of the last visible data change
	lastWrite  atomic.Int64 // when the last data change became visible (Unix nanoseconds)

	ckptMu   sync.Mutex
	ckptOp   uint64 // applied operation of the data file; written with vmu held
	ckptErr  error
	ckptKick chan struct{}
	stop     chan struct{}
	wg       sync.WaitGroup
}

type tkey struct{ table, key string }

type entry struct {
	op  uint64
	val []byte // stored record; nil: deleted
}

// Path of the data file of a database folder.
func dataPath(dir, name string) string { return filepath.Join(dir, "Data", name+".4DD") }

// Name of the database: its folder's name.
func (db *DB) Name() string { return db.name }

// Dir is the database folder.
func (db *DB) Dir() string { return db.dir }

// ID is the database identity.
func (db *DB) ID() [16]byte { return db.id }

// FormatID renders a database identity as a UUID.
func FormatID(id [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:16])
}

// Report says what Open did on its own (and what Integrate changed since).
func (db *DB) Report() OpenReport {
	db.infoMu.Lock()
	defer db.infoMu.Unlock()
	return db.report
}

// Settings returns a copy of the database's settings, to show or change them key by key.
func (db *DB) Settings() *settings.Settings { return db.settings.Load().Clone() }

// Values returns one snapshot of the database's settings, every key read once. Work reads it
// once at its start and goes by it to its end: settings saved meanwhile (UpdateSettings) do
// not change a run half way.
func (db *DB) Values() settings.Values { return db.settings.Load().Values() }

func (o *Options) fill() {
	if o.FS == nil {
		o.FS = journal.OSFS{}
	}
	if o.SystemUser == "" {
		o.SystemUser = "unknown"
		if u, err := user.Current(); err == nil {
			o.SystemUser = u.Username
		}
	}
	if o.User == "" {
		o.User = o.SystemUser
	}
	if o.CheckpointBytes <= 0 {
		o.CheckpointBytes = 4 << 20
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = time.Second
	}
}

// Create makes a new database folder dir with an empty structure, a blank data file, default
// settings and (the log being on by default) a new log file. dir must not exist or be empty.
func Create(dir string, opts Options) (*DB, error) {
	opts.fill()
	if strings.TrimSpace(dir) == "" {
		return nil, &Error{Code: CodeUsage, Op: "create", Err: errors.New("a database folder is needed (an empty name would make the current folder one)")}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, &Error{Code: CodeUsage, Op: "create", Path: dir, Err: err}
	}
	name := filepath.Base(dir)
	if name == string(filepath.Separator) || name == "." || strings.ContainsAny(name, "[]") {
		return nil, &Error{Code: CodeUsage, Op: "create", Path: dir, Err: errors.New("the folder's name becomes the database's and its backups' names: choose one that is not the root and has no [ or ]")}
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return nil, &Error{Code: CodeExists, Op: "create", Path: dir, Err: errors.New("the folder exists and is not empty")}
	}
	created := func(op string, err error) error {
		return &Error{Code: CodeFileIO, Op: op, Path: dir, Err: fmt.Errorf("%w; the database could not be made there: choose another place", err)}
	}
	for _, sub := range []string{"Project", "Data/Settings", "Logs"} {
		if err := opts.FS.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, created("create", err)
		}
	}
	if err := saveCatalog(opts.FS, dir, &Catalog{Version: 1}); err != nil {
		return nil, created("write structure", err)
	}
	s := settings.New()
	if err := journal.WriteFileAtomic(opts.FS, filepath.Join(dir, settings.FileName), s.Marshal(), 0o600); err != nil {
		return nil, created("write settings", err)
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, created("create", err)
	}
	id[6] = id[6]&0x0f | 0x40 // a version 4 UUID
	id[8] = id[8]&0x3f | 0x80
	if err := writeBlankData(dataPath(dir, name), id); err != nil {
		return nil, created("write data file", err)
	}
	logPath := s.Values().Log.File(dir)
	w, err := createLogFile(opts.FS, logPath, journal.Header{DBID: id, FirstOp: 1, Created: time.Now()})
	if err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, &Error{Code: CodeLogIO, Op: "create log", Path: logPath, Err: err}
	}
	return Open(dir, opts)
}

// Open opens a database folder and runs the self-check of S3.5: the data file must open and
// pass its checks; operations of the log that the data file lacks are integrated (or reported);
// an Opening of Data File is logged.
func Open(dir string, opts Options) (*DB, error) {
	db, err := openData(dir, opts, checkOpen)
	if err != nil {
		return nil, err
	}
	if opts.ReadOnly {
		db.readOnly = &Error{Code: CodeReadOnly, Op: "write", Err: ErrReadOnly}
	} else if err := db.openLogGuarded(); err != nil {
		if db.log != nil {
			db.log.Close()
		}
		db.closeData()
		return nil, err
	}
	db.run()
	return db, nil
}

// openLogGuarded is openLog, whose integration reads and writes the data file through bbolt:
// a damaged page met there is 1433, not a crash, and so is a key of the log that the data file
// holds as a sub-bucket (bbolt refuses to write it: its leaf element lost its flags).
func (db *DB) openLogGuarded() (err error) {
	defer db.boltGuard("integrate the log", &err, debug.SetPanicOnFault(true))
	err = db.openLog()
	if errors.Is(err, berrors.ErrIncompatibleValue) {
		return db.damaged("integrate the log", errors.New("a key of the log is held as a sub-bucket in the data file"))
	}
	return err
}

// openData reads the folder's structure and settings and opens its data file (S3.5 step 1),
// the log not yet. The data file is checked first (at level, see check.go), with plain reads,
// while it is locked as bbolt locks it: bbolt maps it into memory and trusts it.
func openData(dir string, opts Options, level checkLevel) (*DB, error) {
	opts.fill()
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, &Error{Code: CodeUsage, Op: "open", Path: dir, Err: err}
	}
	db := blankDB(dir, opts)
	if err := db.loadFiles(); err != nil {
		return nil, err
	}
	path := dataPath(dir, db.name)
	if db.dataFile, err = os.Open(path); err != nil {
		return nil, &Error{Code: CodeDataIO, Op: "open data file", Path: path, Err: err}
	}
	if err := db.checkData(level); err != nil {
		db.dataFile.Close()
		return nil, err
	}
	if err := db.openBoltGuarded(); err != nil {
		db.dataFile.Close()
		return nil, err
	}
	if err := db.loadMeta(); err != nil {
		db.closeData()
		return nil, err
	}
	return db, nil
}

// checkData checks the data file before bbolt opens it: not marked damaged by an earlier read
// (damage.go), and sound at level. The file is locked meanwhile, so that a database open in
// another process is said to be in use (2007), never taken for damaged while it is written.
func (db *DB) checkData(level checkLevel) error {
	path := dataPath(db.dir, db.name)
	if err := lockData(db.dataFile, !db.opts.ReadOnly, time.Second); err != nil {
		if errors.Is(err, errLocked) {
			return &Error{Code: CodeInUse, Op: "open", Path: path}
		}
		return &Error{Code: CodeDataIO, Op: "open data file", Path: path, Err: err}
	}
	defer unlockData(db.dataFile)
	if err := markedDamaged(db.dir, db.name); err != nil {
		return err
	}
	info, err := db.dataFile.Stat()
	if err != nil {
		return &Error{Code: CodeDataIO, Op: "open data file", Path: path, Err: err}
	}
	v, err := newestView(db.dataFile, info.Size())
	if err == nil && v.badMeta != nil {
		// bbolt goes by the other meta page, the version before: it is used only once its
		// whole tree is checked (it is sound after a torn write, damaged after other harm).
		level = max(level, checkTree)
	}
	if err == nil {
		err = v.check(db.cat, level)
	}
	if err == nil && v.badMeta != nil {
		AppendBackupJournal(db.dir, fmt.Sprintf("The data file's %v; the version before it, checked whole, is used, and the log brings back what came after it.", v.badMeta))
	}
	if err != nil {
		var ioe *dataIOError
		if errors.As(err, &ioe) {
			return &Error{Code: CodeDataIO, Op: "read data file", Path: path, Err: err}
		}
		return &Error{Code: CodeDamaged, Op: "open data file", Path: path, Err: err}
	}
	return nil
}

// openBoltGuarded opens the checked data file with bbolt; a panic or fault there is 1433.
func (db *DB) openBoltGuarded() (err error) {
	path := dataPath(db.dir, db.name)
	defer func(fault bool) {
		debug.SetPanicOnFault(fault)
		if r := recover(); r != nil {
			err = &Error{Code: CodeDamaged, Op: "open data file", Path: path, Err: fmt.Errorf("%v", r)}
		}
	}(debug.SetPanicOnFault(true))
	bdb, err := openBolt(path, db.opts.ReadOnly)
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return &Error{Code: CodeInUse, Op: "open", Path: path}
		}
		return &Error{Code: CodeDamaged, Op: "open data file", Path: path, Err: err}
	}
	db.bolt, db.pageSize = bdb, bdb.Info().PageSize
	return nil
}

// closeData closes the data file (bbolt's and the checking reader's).
func (db *DB) closeData() error {
	db.dataFile.Close()
	return db.bolt.Close()
}

// run starts the checkpoints of an open database and logs its Opening of Data File.
func (db *DB) run() {
	db.running.Store(true)
	db.wg.Add(1)
	go db.checkpointLoop()
	if db.log != nil {
		db.appendMarker(&journal.Record{Action: journal.OpenData})
	}
}

// blankDB is a database of folder dir (an absolute path), not open yet.
func blankDB(dir string, opts Options) *DB {
	return &DB{
		dir: dir, name: filepath.Base(dir), fs: opts.FS, opts: opts,
		seq: map[string]uint64{}, keyMax: map[string]string{},
		overlay: map[string]map[string]entry{}, counts: map[string]int64{}, diskMax: map[string]string{},
		ckptKick: make(chan struct{}, 1), stop: make(chan struct{}),
	}
}

// loadFiles reads the structure and the settings.
func (db *DB) loadFiles() error {
	if _, err := os.Stat(dataPath(db.dir, db.name)); err != nil {
		if _, cerr := os.Stat(filepath.Join(db.dir, CatalogFile)); cerr != nil {
			return &Error{Code: CodeNotDatabase, Op: "open", Path: db.dir}
		}
		return &Error{Code: CodeDamaged, Op: "open", Path: dataPath(db.dir, db.name), Err: errors.New("the data file is missing")}
	}
	cat, err := loadCatalog(db.fs, db.dir)
	if err != nil {
		return structureError(filepath.Join(db.dir, CatalogFile), err)
	}
	db.cat = cat
	db.settings.Store(settings.New())
	data, err := os.ReadFile(filepath.Join(db.dir, settings.FileName))
	if err == nil {
		var s *settings.Settings
		if s, err = settings.Parse(data); err == nil {
			db.settings.Store(s)
		}
	} else if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	if err != nil {
		return SettingsError(filepath.Join(db.dir, settings.FileName), err)
	}
	return nil
}

// restoreStructure says how to get a good structure file back from a backup.
var restoreStructure = Advice{
	Command: "restore one with --items structure and copy its " + CatalogFile,
	Window:  "restore one with File > Restore..., Structure only, and copy its " + CatalogFile,
}

// structureError says why the structure could not be read: missing, unreadable (2019), or
// damaged (2019); a folder with a data file is a database whatever its structure file says.
func structureError(path string, err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		err = fmt.Errorf("the structure file is missing: put it back (a backup holds it: %w)", restoreStructure)
	case isReadError(err):
		err = fmt.Errorf("%w: the structure file could not be read; check the file and the disk", err)
	default:
		err = fmt.Errorf("%w: the structure file is damaged; put back a good copy (a backup holds it: %w)", err, restoreStructure)
	}
	return &Error{Code: CodeFileIO, Op: "read structure", Path: path, Err: err}
}

// SettingsError says why a database's settings file could not be read: an I/O error (2019) or
// a file that is not valid settings (2009).
func SettingsError(path string, err error) error {
	if isReadError(err) {
		return &Error{Code: CodeFileIO, Op: "read settings", Path: path, Err: fmt.Errorf("%w: the settings file could not be read; check the file and the disk", err)}
	}
	return &Error{Code: CodeBadSetting, Op: "read settings", Path: path, Err: err}
}

// isReadError reports whether err came from reading a file (not from what it holds).
func isReadError(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe)
}

// LogPath is where the log file is (or would be).
func (db *DB) LogPath() string {
	return db.Values().Log.File(db.dir)
}

// saveSettings writes the settings file atomically and makes s current.
func (db *DB) saveSettings(s *settings.Settings) error {
	if err := journal.WriteFileAtomic(db.fs, filepath.Join(db.dir, settings.FileName), s.Marshal(), 0o600); err != nil {
		return &Error{Code: CodeDataIO, Op: "write settings", Path: filepath.Join(db.dir, settings.FileName), Err: err}
	}
	db.settings.Store(s)
	return nil
}

// UpdateSettings validates nothing more than settings.Settings does, writes the file and makes
// the new settings current. Log keys are not changed this way (use StartLog / StopLog), unless
// one of them holds a bad value in the file: where the log is cannot be guessed then, so the
// caller says it, and the next open goes by it. Work under way goes on by the snapshot it took
// at its start (Values).
func (db *DB) UpdateSettings(s *settings.Settings) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	cur := db.settings.Load()
	if !s.SameKeys(cur, settings.LogKeys...) && cur.Need(settings.LogKeys...) == nil {
		return &Error{Code: CodeBadSetting, Op: "settings", Err: Advice{Command: "log.use and log.path change through the log commands (holdfast log DB create|stop)",
			Window: "the log is turned on and off with Use Log (File > Database Settings... > Configuration), not through its settings"}}
	}
	return db.saveSettings(s)
}

// Close checkpoints the cache, logs a Closing of Data File, and closes the log and the data file.
// Open transactions are not committed.
func (db *DB) Close() error {
	db.wmu.Lock()
	if db.closed {
		db.wmu.Unlock()
		return nil
	}
	db.closed = true
	db.wmu.Unlock()
	close(db.stop)
	db.wg.Wait()
	var errs []error
	db.wmu.Lock()
	log, logErr := db.log, db.logErr
	db.wmu.Unlock()
	if log != nil && logErr == nil {
		db.appendMarker(&journal.Record{Action: journal.CloseData})
		db.wmu.Lock()
		last := db.nextOp - 1
		db.wmu.Unlock()
		if err := log.Sync(last); err != nil {
			errs = append(errs, db.failLog(err))
		}
		db.publish()
	}
	if !db.opts.ReadOnly && db.damage.Load() == nil {
		// A data file found damaged is not written any more: what the cache holds is in the
		// log, which the repair integrates.
		if err := db.checkpoint(); err != nil {
			errs = append(errs, err)
		}
	}
	db.wmu.Lock()
	log, logErr = db.log, db.logErr
	db.wmu.Unlock()
	if log != nil {
		if err := log.Close(); err != nil && logErr == nil {
			errs = append(errs, &Error{Code: CodeLogIO, Op: "close log", Path: db.LogPath(), Err: err})
		}
	}
	if err := db.closeData(); err != nil {
		errs = append(errs, &Error{Code: CodeDataIO, Op: "close data file", Path: dataPath(db.dir, db.name), Err: err})
	}
	return errors.Join(errs...)
}

// Catalog returns the structure (do not change it).
func (db *DB) Catalog() *Catalog {
	db.catMu.RLock()
	defer db.catMu.RUnlock()
	return db.cat
}

func (db *DB) table(name string) (*Table, error) {
	db.catMu.RLock()
	t := db.cat.Table(name)
	db.catMu.RUnlock()
	if t == nil {
		return nil, &Error{Code: CodeNoTable, Op: "table " + name}
	}
	return t, nil
}

// CreateTable adds a table to the structure (written atomically before it returns).
func (db *DB) CreateTable(t Table) error {
	return db.CreateTableContext(context.Background(), t)
}

// CreateTableContext is CreateTable that, like every structure change, waits for a running
// backup to end (S3.7); cancelling ctx while it waits gives -9976.
func (db *DB) CreateTableContext(ctx context.Context, t Table) error {
	if err := t.validate(); err != nil {
		return &Error{Code: CodeBadInput, Op: "create table", Err: err}
	}
	if err := db.waitBackup(ctx, "create table"); err != nil {
		return err
	}
	if err := db.writable(); err != nil {
		return err
	}
	db.catMu.Lock()
	defer db.catMu.Unlock()
	if db.cat.Table(t.Name) != nil {
		return &Error{Code: CodeExists, Op: "create table " + t.Name, Err: errors.New("a table of this name exists")}
	}
	c := db.cat.clone()
	c.Tables = append(c.Tables, &t)
	if err := saveCatalog(db.fs, db.dir, c); err != nil {
		return &Error{Code: CodeDataIO, Op: "write structure", Path: filepath.Join(db.dir, CatalogFile), Err: err}
	}
	db.cat = c
	return nil
}

// SetJournaled turns a table's Include in Log File on or off. Its cached changes are
// checkpointed first, so that nothing of it depends on a log that no longer has it.
func (db *DB) SetJournaled(table string, on bool) error {
	return db.SetJournaledContext(context.Background(), table, on)
}

// SetJournaledContext is SetJournaled that waits for a running backup to end (-9976 if ctx is
// cancelled meanwhile).
func (db *DB) SetJournaledContext(ctx context.Context, table string, on bool) error {
	if err := db.waitBackup(ctx, "change Include in Log File"); err != nil {
		return err
	}
	if err := db.checkpoint(); err != nil {
		return err
	}
	db.catMu.Lock()
	defer db.catMu.Unlock()
	t := db.cat.Table(table)
	if t == nil {
		return &Error{Code: CodeNoTable, Op: "table " + table}
	}
	nt := *t
	nt.Journaled = on
	c := db.cat.clone()
	for i := range c.Tables {
		if c.Tables[i] == t {
			c.Tables[i] = &nt
		}
	}
	if err := saveCatalog(db.fs, db.dir, c); err != nil {
		return &Error{Code: CodeDataIO, Op: "write structure", Err: err}
	}
	db.cat = c
	return nil
}

// waitBackup waits until no backup runs: structure changes wait for the backup to end (S3.7).
// It takes no lock, so that a cancel is acted on at once whatever a backup holds.
func (db *DB) waitBackup(ctx context.Context, op string) error {
	for {
		running := db.backupNow.Load()
		if running == nil {
			return nil
		}
		select {
		case <-running.ended:
		case <-ctx.Done():
			return &Error{Code: CodeBackupInProgress, Op: op, Err: errors.New("cancelled while waiting for the backup to end")}
		}
	}
}

// writable returns why writes are refused, or nil.
func (db *DB) writable() error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	return db.writableLocked()
}

func (db *DB) writableLocked() error {
	switch {
	case db.closed:
		return &Error{Code: CodeClosed, Op: "write"}
	case db.logErr != nil:
		return db.logErr
	case db.readOnly != nil:
		return db.readOnly
	case db.damage.Load() != nil:
		return db.damage.Load()
	}
	return nil
}

func newProcessID(db *DB) uint32 {
	db.nextProc++
	return db.nextProc
}

func (db *DB) String() string { return fmt.Sprintf("database %s", db.dir) }
