package pieces

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse_URLList(t *testing.T) {
	for _, tt := range []struct {
		name    string
		urlList any
		want    []string
	}{
		{"string", "http://127.0.0.1:8080/a", []string{"http://127.0.0.1:8080/a"}},
		{"list", []any{"http://h/a/", "https://[::1]:1/b"}, []string{"http://h/a/", "https://[::1]:1/b"}},
		{"unusable dropped", []any{"ftp://h/", int64(3), "", "http://u:p@h/", "http://h/?q=1", "http:///x", "http://h/\x1b[2J", "http://h/ok"}, []string{"http://h/ok"}},
		{"repeats dropped", []any{"http://h/", "http://h/"}, []string{"http://h/"}},
		{"wrong type ignored", int64(5), nil},
		{"dict ignored", map[string]any{"a": "b"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			raw := encode(t, map[string]any{"info": infoDict(), "url-list": tt.urlList})
			tor, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tor.WebSeeds, tt.want) {
				t.Fatalf("WebSeeds = %q, want %q", tor.WebSeeds, tt.want)
			}
			again, err := Parse(tor.Bytes())
			if err != nil || !reflect.DeepEqual(again.WebSeeds, tt.want) {
				t.Fatalf("after Bytes: %q, %v", again.WebSeeds, err)
			}
			m, err := ParseMagnet(tor.Magnet())
			if err != nil || !reflect.DeepEqual(m.WebSeeds, tt.want) {
				t.Fatalf("magnet %q: ws %q, %v", tor.Magnet(), m.WebSeeds, err)
			}
		})
	}
}

func TestParse_URLListCapped(t *testing.T) {
	var list []any
	for i := range 100 {
		list = append(list, "http://h/"+strings.Repeat("x", i))
	}
	list = append(list, "http://h/"+strings.Repeat("y", 5000))
	tor, err := Parse(encode(t, map[string]any{"info": infoDict(), "url-list": list}))
	if err != nil {
		t.Fatal(err)
	}
	if len(tor.WebSeeds) != maxWebSeeds {
		t.Fatalf("%d web seeds kept, want %d", len(tor.WebSeeds), maxWebSeeds)
	}
}

func TestParseMagnet_WebSeeds(t *testing.T) {
	m, err := ParseMagnet("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567" +
		"&ws=http%3A%2F%2F127.0.0.1%3A8080%2Fd%2F&ws=javascript:alert(1)&ws=https://m/x")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://127.0.0.1:8080/d/", "https://m/x"}
	if !reflect.DeepEqual(m.WebSeeds, want) {
		t.Fatalf("WebSeeds = %q, want %q", m.WebSeeds, want)
	}
	if !strings.Contains(m.String(), "&ws=http%3A%2F%2F127.0.0.1%3A8080%2Fd%2F&ws=https%3A%2F%2Fm%2Fx") {
		t.Fatalf("String() = %s", m.String())
	}
}

func TestCreate_WebSeeds(t *testing.T) {
	dir := t.TempDir()
	writePayload(t, dir)
	if _, err := Create(t.Context(), dir, CreateOptions{WebSeeds: []string{"ftp://h/"}}); err == nil ||
		!strings.Contains(err.Error(), `web seed "ftp://h/"`) {
		t.Fatalf("Create with an ftp web seed: %v", err)
	}
	tor, err := Create(t.Context(), dir, CreateOptions{WebSeeds: []string{"http://127.0.0.1:1/d/", "https://m/"}})
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(tor.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"http://127.0.0.1:1/d/", "https://m/"}; !reflect.DeepEqual(again.WebSeeds, want) {
		t.Fatalf("WebSeeds = %q, want %q", again.WebSeeds, want)
	}
}
