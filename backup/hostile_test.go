package backup

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"holdfast/engine"
)

// forged is one entry of a hand-made archive: its content, and what its header and the
// manifest claim (zero values: the truth).
type forged struct {
	name        string
	data        []byte
	mode        fs.FileMode // 0: a plain file
	deflate     bool
	declared    int64 // the zip header's uncompressed size; -1: the truth
	manifest    int64 // the manifest's size; -1: the truth
	notInManif  bool
	compressed  []byte // raw compressed bytes to write instead of compressing data
	extraInManf string // a manifest entry with no file
}

// writeForged writes an archive of the given entries with a manifest, forging what they say.
func writeForged(t *testing.T, path string, entries []forged) {
	t.Helper()
	writeForgedManifest(t, path, entries, nil)
}

// writeForgedManifest is writeForged with the manifest changed by edit (nil: unchanged).
func writeForgedManifest(t *testing.T, path string, entries []forged, edit func(*Manifest)) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	m := &Manifest{Format: manifestFormat, Backup: 1, Time: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Database: "0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d", Name: "Shop", Operation: 1, Holdfast: Version, Compression: "fast"}
	for _, e := range entries {
		raw := e.data
		method := zip.Store
		if e.deflate || e.compressed != nil {
			method = zip.Deflate
			raw = e.compressed
			if raw == nil {
				var c bytes.Buffer
				fw, _ := flate.NewWriter(&c, 9)
				if _, err := fw.Write(e.data); err != nil {
					t.Fatal(err)
				}
				if err := fw.Close(); err != nil {
					t.Fatal(err)
				}
				raw = c.Bytes()
			}
		}
		size := int64(len(e.data))
		if e.declared >= 0 {
			size = e.declared
		}
		hdr := &zip.FileHeader{Name: e.name, Method: method, CRC32: crc32.ChecksumIEEE(e.data),
			CompressedSize64: uint64(len(raw)), UncompressedSize64: uint64(size)}
		mode := e.mode
		if mode == 0 {
			mode = 0o600
		}
		hdr.SetMode(mode)
		w, err := zw.CreateRaw(hdr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(raw); err != nil {
			t.Fatal(err)
		}
		if !e.notInManif {
			ms := int64(len(e.data))
			if e.manifest >= 0 {
				ms = e.manifest
			}
			sum := sha256.Sum256(e.data)
			m.Entries = append(m.Entries, Entry{Path: e.name, Size: ms, SHA256: hex.EncodeToString(sum[:])})
		}
		if e.extraInManf != "" {
			m.Entries = append(m.Entries, Entry{Path: e.extraInManf, Size: 1, SHA256: strings.Repeat("00", 32)})
		}
	}
	if edit != nil {
		edit(m)
	}
	w, err := zw.Create(ManifestName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(m.Marshal()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func plain(name, data string) forged {
	return forged{name: name, data: []byte(data), declared: -1, manifest: -1}
}

// Hostile archives are refused with 1432 before anything is extracted, and nothing is written
// outside the destination, or under it: the folder of the archive holds only the archive after.
// Verify refuses each of them with 1432 too: an archive it calls good is one restore extracts.
func TestRestoreRefusesHostileArchives(t *testing.T) {
	zeros := make([]byte, 32<<20)
	var bomb bytes.Buffer
	fw, _ := flate.NewWriter(&bomb, 9)
	if _, err := fw.Write(zeros); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]forged{
		"zip slip":          {plain("Data/../../evil.txt", "x")},
		"parent at the top": {plain("../evil.txt", "x")},
		"absolute path":     {plain("/tmp/holdfast-evil.txt", "x")},
		"drive letter":      {plain("C:/evil.txt", "x")},
		"backslash":         {plain(`Data\..\..\evil.txt`, "x")},
		"outside the items": {plain("evil.txt", "x")},
		"dot segment":       {plain("Data/./x", "x")},
		"symlink":           {{name: "Data/link", data: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777, declared: -1, manifest: -1}},
		"folder entry":      {{name: "Data/dir", data: nil, mode: fs.ModeDir | 0o700, declared: -1, manifest: -1}},
		"duplicate names":   {plain("Data/Settings/a.txt", "one"), plain("Data/Settings/a.txt", "two")},
		// Declares 1 KiB (the manifest agrees) but inflates to 32 MiB.
		"zip bomb, short declared size": {{name: "Data/Shop.4DD", data: zeros[:1024], compressed: bomb.Bytes(), declared: -1, manifest: -1}},
		// Declares a size no deflate stream of this length can produce.
		"absurd ratio":                 {{name: "Data/Shop.4DD", data: []byte("tiny"), deflate: true, declared: 1 << 40, manifest: 1 << 40}},
		"manifest lies about the size": {{name: "Data/Shop.4DD", data: []byte("0123456789"), declared: -1, manifest: 5}},
		"entry not in the manifest":    {plain("Data/Shop.4DD", "data"), {name: "Project/extra.json", data: []byte("{}"), declared: -1, manifest: -1, notInManif: true}},
		"a file that is a folder too":  {plain("Data/Shop.4DD", "data"), plain("Attachments/a", "file"), plain("Attachments/a/b", "inside")},
		"device":                       {{name: "Data/dev", data: nil, mode: fs.ModeDevice | 0o600, declared: -1, manifest: -1}},
	}
	// The manifest names the database and the folder it came from (where a restore looks for
	// its current log).
	manifests := map[string]func(*Manifest){
		"manifest name ..":         func(m *Manifest) { m.Name = ".." },
		"manifest name with /":     func(m *Manifest) { m.Name = "../Shop" },
		"manifest folder with ..":  func(m *Manifest) { m.Folder = "/home/user/../../etc/Shop" },
		"manifest folder relative": func(m *Manifest) { m.Folder = "../Shop" },
	}
	for name := range manifests {
		cases[name] = []forged{plain("Data/Shop.4DD", "data")}
	}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			archive := filepath.Join(dir, "Shop[0001].4BK")
			writeForgedManifest(t, archive, entries, manifests[name])
			if _, err := VerifyArchive(archive); engine.CodeOf(err) != engine.CodeUnsafeEntry {
				t.Errorf("verify: %v, want 1432", err)
			}
			_, err := Restore(context.Background(), archive, RestoreOptions{NoIntegrate: true})
			if engine.CodeOf(err) != engine.CodeUnsafeEntry {
				t.Fatalf("restore: %v, want 1432", err)
			}
			t.Log(err)
			if got := names(dir); len(got) != 1 {
				t.Errorf("the folder holds %v after the refused restore, want only the archive", got)
			}
			for _, p := range []string{"/tmp/holdfast-evil.txt", filepath.Join(filepath.Dir(dir), "evil.txt")} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s was written", p)
				}
			}
		})
	}
}

// A manifest that names an entry the archive lacks, a damaged deflate stream and a content
// that does not match its checksum are damage (1411), not hostility, to verify as to restore.
func TestRestoreRefusesDamagedArchives(t *testing.T) {
	good := plain("Data/Shop.4DD", strings.Repeat("data ", 100))
	cases := map[string][]forged{
		"manifest names a missing entry": {{name: "Data/Shop.4DD", data: []byte("x"), declared: -1, manifest: -1, extraInManf: "Data/gone.txt"}},
		"damaged stream":                 {{name: "Data/Shop.4DD", data: []byte(strings.Repeat("abc", 1000)), compressed: []byte{0xff, 0xff, 0xff, 0xff}, declared: -1, manifest: -1}},
	}
	cases["content differs"] = []forged{good}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			archive := filepath.Join(dir, "Shop[0001].4BK")
			writeForged(t, archive, entries)
			if name == "content differs" {
				b, err := os.ReadFile(archive)
				if err != nil {
					t.Fatal(err)
				}
				i := bytes.Index(b, []byte("data data"))
				b[i] = 'D'
				if err := os.WriteFile(archive, b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := VerifyArchive(archive); engine.CodeOf(err) != engine.CodeArchiveVerify {
				t.Errorf("verify: %v, want 1411", err)
			}
			_, err := Restore(context.Background(), archive, RestoreOptions{NoIntegrate: true})
			if engine.CodeOf(err) != engine.CodeArchiveVerify {
				t.Fatalf("restore: %v, want 1411", err)
			}
			t.Log(err)
			if got := names(dir); len(got) != 1 {
				t.Errorf("the folder holds %v after the refused restore", got)
			}
		})
	}
}

// seedArchives are the fuzz seeds kept in testdata/backup/archives (rewritten with -update): a
// good archive, a deflated one and hostile ones.
var seedArchives = map[string][]forged{
	"good":    {plain("Data/Shop.4DD", "data"), plain("Project/catalog.json", `{"version":1}`)},
	"deflate": {{name: "Data/Shop.4DD", data: []byte(strings.Repeat("z", 5000)), deflate: true, declared: -1, manifest: -1}},
	"slip":    {plain("Data/../../evil", "x")},
	"symlink": {{name: "Data/link", data: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777, declared: -1, manifest: -1}},
	"lying":   {{name: "Data/Shop.4DD", data: []byte("0123456789"), declared: -1, manifest: 5}},
}

func TestFuzzSeedsCurrent(t *testing.T) {
	for name, entries := range seedArchives {
		path := filepath.Join("..", "testdata", "backup", "archives", name+".4BK")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			writeForged(t, path, entries)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("fuzz seed %s is missing (go test -run TestFuzzSeedsCurrent -update): %v", path, err)
		}
	}
}

// FuzzRestoreArchive feeds arbitrary bytes to the restore as an archive: it never panics,
// never writes outside its destination, and a refused restore leaves nothing.
func FuzzRestoreArchive(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "testdata", "backup", "archives", "*.4BK"))
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	// Each input is a whole restore, with its syncs: on a tmpfs they cost nothing, and the
	// fuzzer tries hundreds of inputs a second instead of a few.
	base := ""
	if info, err := os.Stat("/dev/shm"); err == nil && info.IsDir() {
		base = "/dev/shm"
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		dir, err := os.MkdirTemp(base, "holdfast-fuzz-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		inner := filepath.Join(dir, "in")
		if err := os.Mkdir(inner, 0o700); err != nil {
			t.Fatal(err)
		}
		archive := filepath.Join(inner, "Shop[0001].4BK")
		if err := os.WriteFile(archive, b, 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := Restore(context.Background(), archive, RestoreOptions{NoIntegrate: true, Items: []string{"structure", "attachments"}})
		if top := names(dir); len(top) != 1 {
			t.Fatalf("wrote %v beside the archive's folder", top)
		}
		if err != nil {
			if got := names(inner); len(got) != 1 {
				t.Fatalf("a refused restore left %v", got)
			}
			return
		}
		if err := filepath.WalkDir(res.Dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type()&fs.ModeSymlink != 0 {
				t.Fatalf("the restore made a link: %s", p)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})
}
