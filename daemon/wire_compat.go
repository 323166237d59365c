package daemon

import (
	"bytes"
	"encoding/json"
)

// Keys that went out in camelCase before they were made snake_case like
// every other: clients of that time send them, and library.json files of
// that time hold them. Both spellings are read; only snake_case is
// written.

func (r *AddRequest) UnmarshalJSON(b []byte) error {
	type plain AddRequest
	var v struct {
		plain
		OldSuperSeed bool `json:"superSeed"`
		OldReuseLink bool `json:"reuseLink"`
	}
	// Strict, as the request decoder is (a custom UnmarshalJSON does not
	// inherit its DisallowUnknownFields): a misspelt key is refused, not
	// ignored.
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		return err
	}
	*r = AddRequest(v.plain)
	r.SuperSeed = r.SuperSeed || v.OldSuperSeed
	r.ReuseLink = r.ReuseLink || v.OldReuseLink
	return nil
}

func (e *Entry) UnmarshalJSON(b []byte) error {
	type plain Entry
	var v struct {
		plain
		OldSuperSeed bool `json:"superSeed"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = Entry(v.plain)
	e.SuperSeed = e.SuperSeed || v.OldSuperSeed
	return nil
}
