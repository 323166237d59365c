package pieces

import (
	"fmt"
	"os"
	"syscall"
)

const haveDirect = true

// reopenDirect opens f's file again with O_DIRECT. Through /proc/self/fd
// it is the same inode, whatever has happened to the path since.
func reopenDirect(f *os.File) (*os.File, error) {
	return os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), os.O_WRONLY|syscall.O_DIRECT, 0)
}
