//go:build !linux

package pieces

import "os"

const haveWritev = false

func writev(*os.File, [][]byte, int64) (int, error) { panic("unreachable") }
