//go:build !linux

package nginx

import "os/exec"

// dieWithParent: only Linux has a parent-death signal; elsewhere cleanup
// alone stops the process.
func dieWithParent(*exec.Cmd) {}
