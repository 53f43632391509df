package journal

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// File is the part of *os.File that the log, the data file's helpers and the archive writers
// use. Sync makes the written bytes and the file's size durable (fdatasync where the system has
// it).
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.Seeker
	Sync() error
	Truncate(size int64) error
	Stat() (fs.FileInfo, error)
	Close() error
	Name() string
}

// FS is the filesystem seam. Production code uses OSFS; tests embed OSFS in a type that
// overrides one method to inject a fault (a failing Sync, a full disk).
type FS interface {
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	Stat(name string) (fs.FileInfo, error)
	Remove(name string) error
	Rename(oldpath, newpath string) error
	MkdirAll(path string, perm fs.FileMode) error
	// SyncDir makes the entries of a folder (a rename, a new file) durable.
	SyncDir(path string) error
}

// OSFS is the real filesystem.
type OSFS struct{}

// OpenFile opens a file with os.OpenFile.
func (OSFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (OSFS) Stat(name string) (fs.FileInfo, error)        { return os.Stat(name) }
func (OSFS) Remove(name string) error                     { return os.Remove(name) }
func (OSFS) Rename(oldpath, newpath string) error         { return os.Rename(oldpath, newpath) }
func (OSFS) MkdirAll(path string, perm fs.FileMode) error { return os.MkdirAll(path, perm) }

// SyncDir fsyncs a folder.
func (OSFS) SyncDir(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

type osFile struct{ *os.File }

// Sync uses fdatasync: the log and archives only need their data and size on disk.
func (f osFile) Sync() error {
	for {
		err := syscall.Fdatasync(int(f.File.Fd()))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "fdatasync", Path: f.File.Name(), Err: err}
		}
		return nil
	}
}

// WriteFileAtomic replaces path with data safely: a temporary file beside it is written,
// synced and closed, renamed over path, and the folder is synced. A failure at any step leaves
// the old file (or no file) under path, never a partial one.
func WriteFileAtomic(fsys FS, path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, "."+filepath.Base(path)+".tmp")
	f, err := fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.Rename(tmp, path)
	}
	if err != nil {
		fsys.Remove(tmp)
		return err
	}
	return fsys.SyncDir(dir)
}

// Writeback is what a File can offer to write a large file to disk as it grows (OSFS's files
// do, on Linux): StartWriteback starts writing a range and returns at once; WaitWriteback
// waits for a range started earlier.
type Writeback interface {
	StartWriteback(off, n int64) error
	WaitWriteback(off, n int64) error
}
