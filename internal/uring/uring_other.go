//go:build !linux

package uring

// A Writer is never made off Linux.
type Writer struct{}

// NewWriter always says ErrUnsupported off Linux.
func NewWriter() (*Writer, error) { return nil, ErrUnsupported }

func (w *Writer) Start(fd uintptr, bufs [][]byte, off int64) error { return ErrUnsupported }
func (w *Writer) Done() (n int, err error, ok bool)                { return 0, nil, true }
func (w *Writer) Wait() (int, error)                               { return 0, nil }
func (w *Writer) Close() error                                     { return nil }
