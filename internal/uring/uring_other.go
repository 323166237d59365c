//go:build !linux

package uring

// A Write is never made off Linux.
type Write struct{}

// Start always says ErrUnsupported off Linux.
func Start(fd uintptr, bufs [][]byte, off int64) (*Write, error) { return nil, ErrUnsupported }

// Available is false off Linux.
func Available() bool { return false }

func (w *Write) Done() (n int, err error, ok bool) { return 0, nil, true }
func (w *Write) Wait() (int, error)                { return 0, nil }
