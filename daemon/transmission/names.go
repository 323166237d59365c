package transmission

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// Transmission 4.1 (rpc-version 18) names every method, argument and field
// in snake_case (torrent_get, percent_done, download_dir); the older
// kebab-case and camelCase names stay valid. shoal takes either in any
// request, and answers in the style the method was named in: a request
// for torrent_get gets snake_case keys, one for torrent-get the names of
// rpc-spec 16 it always had. The handler itself speaks the old names;
// this file translates at the edges.

// snakeOf is name in snake_case: kebab-case dashes become underscores and
// camelCase words are split, an acronym kept whole (isUTP: is_utp).
func snakeOf(name string) string {
	if s, ok := snakeCache.Load(name); ok {
		return s.(string)
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-':
			b.WriteByte('_')
		case isUpper(c):
			if i > 0 && (!isUpper(name[i-1]) && name[i-1] != '-' ||
				isUpper(name[i-1]) && i+1 < len(name) && isLower(name[i+1])) {
				b.WriteByte('_')
			}
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	s := b.String()
	if len(name) <= 64 { // names the handler knows; a client's garbage is not kept
		snakeCache.Store(name, s)
	}
	return s
}

var snakeCache sync.Map // name → snakeOf(name)

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

// keyNames turns the handler's names into the ones a response uses.
type keyNames func(string) string

func legacyNames(k string) string { return k }

// namesFor is the naming of a response to a method named method.
func namesFor(snake bool) keyNames {
	if snake {
		return snakeOf
	}
	return legacyNames
}

// legacyMethod is a 4.1 method name (torrent_get) in the form the handler
// dispatches on (torrent-get), and whether it was the 4.1 form.
func legacyMethod(m string) (string, bool) {
	if !strings.Contains(m, "_") {
		return m, false
	}
	return strings.ReplaceAll(m, "_", "-"), true
}

// fieldBySnake finds torrent-get's field names from their snake_case form.
var fieldBySnake = func() map[string]string {
	m := make(map[string]string, len(fields)+len(unknownFields))
	for k := range fields {
		m[snakeOf(k)] = k
	}
	for k := range unknownFields {
		m[snakeOf(k)] = k
	}
	return m
}()

// canonicalField is torrent-get field f under the name the handler knows
// it by, whichever style the client used.
func canonicalField(f string) string {
	if fields[f] != nil || unknownFields[f] {
		return f
	}
	if k, ok := fieldBySnake[snakeOf(f)]; ok {
		return k
	}
	return f
}

// renameArgs gives the keys of a request's arguments object the names of
// v's json tags when they name the same thing in another style
// (download_dir, downloadDir and download-dir alike: which one the handler
// wants depends on the method, and v's tags say it). Other keys are left
// for decodeArgs to refuse.
func renameArgs(raw json.RawMessage, v any) json.RawMessage {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return raw
	}
	tags := make(map[string]string, t.NumField())
	jsonTags(t, tags)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return raw // decodeArgs says what is wrong with it
	}
	changed := false
	for k, val := range obj {
		if tag, ok := tags[snakeOf(k)]; ok && tag != k {
			if _, taken := obj[tag]; taken {
				continue // both spellings given: decodeArgs refuses the stray one
			}
			delete(obj, k)
			obj[tag] = val
			changed = true
		}
	}
	if !changed {
		return raw
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return raw
	}
	return b
}

// jsonTags adds the json names of struct type t's fields, those of
// embedded structs among them, to tags by their snake_case form.
func jsonTags(t reflect.Type, tags map[string]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			jsonTags(f.Type, tags)
			continue
		}
		if name != "" && name != "-" {
			tags[snakeOf(name)] = name
		}
	}
}
