package transmission

import (
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// kv is one key of an object.
type kv struct {
	k string
	v any
}

// object is a JSON object whose keys keep their order: the fields a client
// asked for come back in the order it asked. Objects are encoded by
// appendValue without reflection and without encoding/json re-validating
// each one, which dominated torrent-get of 10,000 torrents.
type object []kv

func (o object) MarshalJSON() ([]byte, error) { return appendValue(nil, o) }

// appendValue encodes the types the handler answers with; anything else
// goes through encoding/json.
func appendValue(b []byte, v any) ([]byte, error) { return appendValueIn(b, v, legacyNames) }

// appendValueIn is appendValue with objects' keys named by names.
func appendValueIn(b []byte, v any, names keyNames) ([]byte, error) {
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, '0'), nil
		}
		return strconv.AppendFloat(b, x, 'f', -1, 64), nil
	case string:
		return appendString(b, x), nil
	case object:
		b = append(b, '{')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, names(e.k))
			b = append(b, ':')
			if b, err = appendValueIn(b, e.v, names); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []object:
		return appendList(b, x, names)
	case []any:
		return appendList(b, x, names)
	case [][]any:
		return appendList(b, x, names)
	case []int:
		return appendList(b, x, names)
	case []string:
		return appendList(b, x, names)
	case json.RawMessage:
		return append(b, x...), nil
	}
	enc, err := json.Marshal(v)
	return append(b, enc...), err
}

func appendList[T any](b []byte, list []T, names keyNames) ([]byte, error) {
	var err error
	b = append(b, '[')
	for i, e := range list {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendValueIn(b, e, names); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendString appends s as a JSON string, as encoding/json would (invalid
// UTF-8 becomes U+FFFD), escaping what HTML or JavaScript could trip on.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	if plain(s) {
		return append(append(b, s...), '"')
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// plain says s is printable ASCII needing no escape, as most keys and
// names are.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
