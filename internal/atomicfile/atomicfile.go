// Package atomicfile replaces files so that readers, and a crash, see either
// the old content or the new, never a torn mix. pieces (resume records),
// dht (routing tables), tracker (counters) and the CLI (torrents it writes)
// all need it.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data: a temporary file beside it, written, then
// renamed over path. With durable it is also fsynced, and the directory
// after the rename, so the new content survives a crash of the machine;
// without, it survives only a crash of the process (the kernel has it),
// and costs no disk flush. The temporary file is removed on failure. The
// file gets mode perm before umask, like os.WriteFile.
func Write(path string, data []byte, perm os.FileMode, durable bool) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if durable {
		if err := tmp.Sync(); err != nil {
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	ok = true
	if !durable {
		return nil
	}
	// The rename is durable only once the directory entry is.
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
