package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// Request limits. A .torrent sent as metainfo is base64 (4/3 of its size),
// so the body cap leaves room for the largest one the daemon accepts.
const (
	MaxBodyBytes = maxTorrentBytes*4/3 + 64<<10
	maxDepth     = 16 // no request of ours nests deeper than 3
)

// DecodeRequest reads one JSON value from r into v, refusing what no
// client of ours sends: a body over MaxBodyBytes, nesting deeper than
// maxDepth, fields v does not have, or anything after the value. Each
// refusal is an *Error that says what was wrong.
func DecodeRequest(r io.Reader, v any) error {
	b, err := io.ReadAll(io.LimitReader(r, MaxBodyBytes+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || len(b) > MaxBodyBytes {
		return errorf(KindTooLarge, "request body over %d MiB", MaxBodyBytes>>20)
	}
	if err != nil {
		return errorf(KindBadRequest, "read request: %v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		b = []byte("{}") // a bodiless POST means "no options"
	}
	if err := checkDepth(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(KindBadRequest, "malformed JSON request: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(KindBadRequest, "malformed JSON request: data after the object")
	}
	return nil
}

// checkDepth walks the tokens once, so a deeply nested body is refused
// before anything is built from it.
func checkDepth(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errorf(KindBadRequest, "malformed JSON request: %v", err)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if depth++; depth > maxDepth {
				return errorf(KindBadRequest, "JSON request nested deeper than %d levels", maxDepth)
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}
