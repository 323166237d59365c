package tracker

import (
	"errors"
)

// Sentinels the logic returns; the frontends map them to peer-visible text in
// failureReason and nowhere else.
var (
	ErrUnregistered   = errors.New("tracker: torrent not registered")
	ErrPasskey        = errors.New("tracker: unknown passkey")
	ErrPasskeyMissing = errors.New("tracker: passkey required")
	ErrRateLimited    = errors.New("tracker: rate limited")
	ErrFull           = errors.New("tracker: too many torrents")
	ErrFullScrape     = errors.New("tracker: full scrape not supported")

	// ErrConfig and ErrSyntax are the user's to fix: a bad Config, or a bad
	// line in an allow-list, passkeys or state file.
	ErrConfig = errors.New("tracker: bad config")
	ErrSyntax = errors.New("syntax error")
)

// RequestError is a malformed request; Reason is safe to send to the peer.
type RequestError struct {
	Reason string
	Err    error
}

func (e *RequestError) Error() string {
	if e.Err != nil {
		return "bad request: " + e.Reason + ": " + e.Err.Error()
	}
	return "bad request: " + e.Reason
}

func (e *RequestError) Unwrap() error { return e.Err }

func badRequest(reason string) error { return &RequestError{Reason: reason} }

// failureReason is the only error text a peer ever sees; details go to the log.
func failureReason(err error) string {
	var re *RequestError
	switch {
	case errors.As(err, &re):
		return re.Reason
	case errors.Is(err, ErrUnregistered):
		return "unregistered torrent"
	case errors.Is(err, ErrPasskey):
		return "unknown passkey"
	case errors.Is(err, ErrPasskeyMissing):
		return "passkey required: announce to /announce/<passkey>"
	case errors.Is(err, ErrRateLimited):
		return "rate limited: slow down"
	case errors.Is(err, ErrFull):
		return "tracker full"
	case errors.Is(err, ErrFullScrape):
		return "full scrape not supported: name info_hash"
	}
	return "internal error"
}
