package transmission

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

// kv is one key of an object.
type kv struct {
	k string
	v any
}

// object is a JSON object whose keys keep their order: the fields a client
// asked for come back in the order it asked, and encoding 10,000 torrents
// sorts no map keys.
type object []kv

func (o object) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 64*len(o))
	b = append(b, '{')
	for i, e := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, e.k) // keys are our own ASCII names
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, e.v); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendValue encodes the common scalar types without reflection.
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
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
	case object:
		enc, err := x.MarshalJSON()
		return append(b, enc...), err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(b, bytes.TrimRight(buf.Bytes(), "\n")...), nil
}
