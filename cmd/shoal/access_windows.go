package main

import (
	"errors"
	"io/fs"
	"os"
)

// canAccess says whether path exists and, for a file, is not read-only.
// Windows has no access(2); its ACLs are found out by the writes
// themselves, which report what they were refused.
func canAccess(path string, dir bool) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !dir && fi.Mode().Perm()&0o200 == 0 {
		return &fs.PathError{Op: "access", Path: path, Err: errors.New("read-only file")}
	}
	return nil
}
