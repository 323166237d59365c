package daemon

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// Kind classifies an API error; clients map it to an exit code, the HTTP
// side to a status.
type Kind string

const (
	KindBadRequest Kind = "bad-request" // the request itself is wrong: fix it and retry
	KindNotFound   Kind = "not-found"   // no such torrent, file or folder
	KindConflict   Kind = "conflict"    // existing files differ, or already added
	KindForbidden  Kind = "forbidden"   // a path outside the allowed dirs, or bad credentials
	KindTooLarge   Kind = "too-large"   // the request body is over the cap
	KindInternal   Kind = "internal"    // the daemon failed; the message says how
)

// Error is what the API answers when a request fails. Msg is safe to show
// the user; it names what was wrong and what to do.
type Error struct {
	Kind Kind   `json:"kind"`
	Msg  string `json:"error"`
}

func (e *Error) Error() string { return e.Msg }

func errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// status is the HTTP status of an error kind.
func (k Kind) status() int {
	switch k {
	case KindBadRequest:
		return http.StatusBadRequest
	case KindNotFound:
		return http.StatusNotFound
	case KindConflict:
		return http.StatusConflict
	case KindForbidden:
		return http.StatusForbidden
	case KindTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// asError classifies an engine or library error.
func asError(err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, swarm.ErrUnknownTorrent):
		return &Error{Kind: KindNotFound, Msg: err.Error()}
	case errors.Is(err, swarm.ErrDuplicate):
		return &Error{Kind: KindConflict, Msg: err.Error()}
	case errors.Is(err, swarm.ErrExistingData):
		return &Error{Kind: KindConflict, Msg: err.Error() + "; remove them or add to another folder"}
	case errors.Is(err, pieces.ErrUnsafePath), errors.Is(err, pieces.ErrBadTorrent):
		return &Error{Kind: KindBadRequest, Msg: err.Error()}
	}
	return &Error{Kind: KindInternal, Msg: err.Error()}
}
