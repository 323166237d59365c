//go:build !linux

package pieces

import (
	"errors"
	"os"
)

const haveDirect = false

func reopenDirect(*os.File) (*os.File, error) { return nil, errors.ErrUnsupported }
