package nginx

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes cmd's process get SIGKILL when ours ends, also when
// a timeout or os.Exit skips the cleanup that would stop it.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
