package transmission

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// request is one decoded RPC call.
type request struct {
	Method    string          `json:"method"`
	Arguments json.RawMessage `json:"arguments"`
	Tag       json.RawMessage `json:"tag"` // echoed as sent; must be a number
	// JSON-RPC 2.0, as Transmission 4.1 also speaks it (jsonrpc.go):
	// "params" for "arguments", "id" (a number, string or null) for "tag".
	JSONRPC string          `json:"jsonrpc,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	ID      json.RawMessage `json:"id,omitempty"`
}

// maxDepth bounds how deeply a request may nest: Transmission's requests
// need four levels, and encoding/json's own limit (10,000) is far above
// anything a remote sends.
const maxDepth = 32

// decodeRequest parses a request body. Errors say what was wrong in words
// a client author can act on.
func decodeRequest(body []byte) (request, error) {
	var req request
	if err := checkDepth(body); err != nil {
		return req, err
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return req, fmt.Errorf("malformed JSON request: %w", err)
	}
	if bytes.Equal(req.Tag, []byte("null")) {
		req.Tag = nil // as if absent
	}
	if len(req.Tag) > 0 {
		var n json.Number
		if err := json.Unmarshal(req.Tag, &n); err != nil || req.Tag[0] == '"' {
			return req, errors.New(`"tag" must be a number`)
		}
	}
	if err := req.jsonRPC(); err != nil {
		return req, err
	}
	if req.Method == "" {
		return req, errors.New(`no "method" in the request`)
	}
	if a := bytes.TrimSpace(req.Arguments); len(a) > 0 && a[0] != '{' && !bytes.Equal(a, []byte("null")) {
		return req, errors.New(`"arguments" must be an object`)
	}
	return req, nil
}

// checkDepth refuses JSON nested deeper than maxDepth, before any decoding.
func checkDepth(b []byte) error {
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > maxDepth {
				return fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// decodeArgs decodes a method's arguments into v, refusing arguments v
// does not name: a remote asking for something shoal would silently
// ignore gets told so.
func decodeArgs(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil
	}
	raw = renameArgs(raw, v) // Transmission 4.1's snake_case names, and the older ones
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return &argsError{fmt.Errorf("argument %s is not supported by shoal", name)}
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &argsError{fmt.Errorf("argument %q: want a %s, got a JSON %s", te.Field, te.Type, te.Value)}
		}
		return &argsError{fmt.Errorf("bad arguments: %w", err)}
	}
	return nil
}

// idSet is a request's "ids": nil means every torrent (no "ids" at all);
// Transmission's three forms are a number, a list of numbers and hash
// strings, and "recently-active".
type idSet struct {
	recent bool
	nums   []int
	hashes [][20]byte
}

func (s *idSet) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return errors.New(`empty "ids"`)
	}
	switch b[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return fmt.Errorf(`"ids": %w`, err)
		}
		for _, it := range items {
			if err := s.addOne(it, false); err != nil {
				return err
			}
		}
		return nil
	default:
		return s.addOne(b, true)
	}
}

// addOne adds one id: a number, or a hash string (or, outside a list,
// "recently-active").
func (s *idSet) addOne(b json.RawMessage, top bool) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		if top && (str == "recently-active" || str == "recently_active") {
			s.recent = true
			return nil
		}
		if len(str) != 40 {
			return fmt.Errorf(`"ids": %q is neither a torrent number nor a 40-digit hex infohash`, str)
		}
		var h [20]byte
		if _, err := hex.Decode(h[:], []byte(str)); err != nil {
			return fmt.Errorf(`"ids": %q is not a hex infohash`, str)
		}
		s.hashes = append(s.hashes, h)
		return nil
	}
	var n float64
	if err := json.Unmarshal(b, &n); err != nil || n != float64(int(n)) || n < 0 || n > 1<<31 {
		return fmt.Errorf(`"ids": %s is neither a torrent number nor an infohash string`, truncate(string(b), 40))
	}
	s.nums = append(s.nums, int(n))
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
