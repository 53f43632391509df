package backup

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"
)

// created runs f and returns the names of the files and folders created in dir meanwhile,
// even those removed again before f returns (inotify sees them).
func created(t *testing.T, dir string, f func()) []string {
	t.Helper()
	fd, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	if err != nil {
		t.Skipf("no inotify: %v", err)
	}
	defer syscall.Close(fd)
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE|syscall.IN_MOVED_TO); err != nil {
		t.Fatal(err)
	}
	f()
	var out []string
	buf := make([]byte, 64<<10)
	for {
		n, err := syscall.Read(fd, buf)
		if n <= 0 || err != nil {
			return out
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
			out = append(out, string(bytes.TrimRight(name, "\x00")))
			off += syscall.SizeofInotifyEvent + int(ev.Len)
		}
	}
}

// Verify reads a protected archive in place, intact or damaged where the parity covers it,
// cut short or with junk appended: it writes nothing beside the archive (it used to write a
// whole repaired copy there, which a full disk or a read-only folder refused).
func TestProtectedVerifyWritesNothing(t *testing.T) {
	archive := protectedBackup(t, "high", "low")
	pristine, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	states := []struct {
		name     string
		change   func([]byte) []byte
		repaired bool
	}{
		{"intact", func(b []byte) []byte { return b }, false},
		{"damaged", func(b []byte) []byte { b[len(b)/2] ^= 0xff; b[len(b)/5] ^= 1; return b }, true},
		{"cut short", func(b []byte) []byte { return b[:len(b)-522] }, true},
		{"junk appended", func(b []byte) []byte { return append(b, make([]byte, 4096)...) }, false},
	}
	for _, st := range states {
		rewrite(t, archive, func([]byte) []byte { return st.change(bytes.Clone(pristine)) })
		var rep RepairReport
		var verr error
		got := created(t, filepath.Dir(archive), func() { _, rep, verr = VerifyArchiveRepair(archive) })
		if verr != nil {
			t.Fatalf("%s: %v", st.name, verr)
		}
		if len(got) != 0 {
			t.Errorf("%s: verify created %v beside the archive", st.name, got)
		}
		if st.repaired != (rep.DamagedShards+rep.DamagedCopies > 0) {
			t.Errorf("%s: report %+v", st.name, rep)
		}
	}
}
