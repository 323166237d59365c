//go:build unix

package main

import "golang.org/x/sys/unix"

// canAccess says whether this user may write the file at path, or create
// files in the folder at path (dir).
func canAccess(path string, dir bool) error {
	if dir {
		return unix.Access(path, unix.W_OK|unix.X_OK)
	}
	return unix.Access(path, unix.W_OK)
}
