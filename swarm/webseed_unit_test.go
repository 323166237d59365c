package swarm

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/shoal-bt/shoal/pieces"
)

func TestWebSegs(t *testing.T) {
	info := &pieces.Info{Name: "d s", PieceLength: 16, Length: 40, Files: []pieces.File{
		{Path: []string{"a#1"}, Length: 10, Offset: 0},
		{Path: []string{"empty"}, Length: 0, Offset: 10},
		{Path: []string{".pad", "6"}, Length: 6, Offset: 10, Padding: true},
		{Path: []string{"sub", "ü?"}, Length: 24, Offset: 16},
	}}
	for _, tt := range []struct {
		base       string
		start, end int64
		want       []webSeg
	}{
		{"http://h/x/", 0, 40, []webSeg{
			{url: "http://h/x/d%20s/a%231", off: 0, n: 10},
			{url: "http://h/x/d%20s/.pad/6", off: 0, n: 6, pad: true},
			{url: "http://h/x/d%20s/sub/%C3%BC%3F", off: 0, n: 24},
		}},
		{"http://h/x", 5, 20, []webSeg{
			{url: "http://h/x/d%20s/a%231", off: 5, n: 5},
			{url: "http://h/x/d%20s/.pad/6", off: 0, n: 6, pad: true},
			{url: "http://h/x/d%20s/sub/%C3%BC%3F", off: 0, n: 4},
		}},
		{"http://h/", 30, 40, []webSeg{{url: "http://h/d%20s/sub/%C3%BC%3F", off: 14, n: 10}}},
	} {
		if got := webSegs(tt.base, info, tt.start, tt.end); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("webSegs(%s, %d, %d) =\n%+v\nwant\n%+v", tt.base, tt.start, tt.end, got, tt.want)
		}
	}
	single := &pieces.Info{Name: "f 1.iso", Length: 5, PieceLength: 16, Files: []pieces.File{{Length: 5}}}
	for base, want := range map[string]string{"http://h/pub/": "http://h/pub/f%201.iso", "http://h/f.iso": "http://h/f.iso"} {
		if got := webFileURL(base, single, 0); got != want {
			t.Errorf("single file at %s: %s, want %s", base, got, want)
		}
	}
}

func TestNewWebJob_Runs(t *testing.T) {
	info := &pieces.Info{Name: "n", PieceLength: 2 * blockSize, Length: 10 * blockSize, Files: []pieces.File{{Length: 10 * blockSize}}}
	blk := func(p, k int) pieces.Block { return pieces.Block{Piece: p, Begin: k * blockSize, Length: blockSize} }
	blocks := []pieces.Block{blk(3, 1), blk(0, 0), blk(3, 0), blk(0, 1), blk(1, 0), blk(1, 1)}
	job := newWebJob("http://h/f", info, blocks)
	if len(job.runs) != 2 || len(job.runs[0].blocks) != 4 || len(job.runs[1].blocks) != 2 {
		t.Fatalf("runs %+v: want pieces 0-1 and 3", job.runs)
	}
	if s := job.runs[1].segs; len(s) != 1 || s[0].off != 6*blockSize || s[0].n != 2*blockSize {
		t.Fatalf("piece 3's GET: %+v", s)
	}
	if blocks[0] != blk(0, 0) || blocks[5] != blk(3, 1) {
		t.Fatalf("blocks not sorted in place: %v", blocks)
	}
}

func TestCheckWebResponse(t *testing.T) {
	seg := webSeg{url: "u", off: 100, n: 50}
	resp := func(code int, cr string, length int64) *http.Response {
		r := &http.Response{StatusCode: code, Status: fmt.Sprint(code), Header: http.Header{}, ContentLength: length}
		if cr != "" {
			r.Header.Set("Content-Range", cr)
		}
		return r
	}
	for _, tt := range []struct {
		r         *http.Response
		ok, fatal bool
	}{
		{resp(206, "bytes 100-149/1000", 50), true, false},
		{resp(206, "bytes 100-149/*", -1), true, false},
		{resp(206, "bytes 0-49/1000", 50), false, true},
		{resp(206, "bytes 100-120/1000", 21), false, true},
		{resp(206, "", 50), false, true},
		{resp(200, "", 1000), false, true},
		{resp(206, "bytes 100-149/1000", 10), false, false},
		{resp(503, "", 0), false, false},
		{resp(429, "", 0), false, false},
		{resp(404, "", 0), false, true},
	} {
		err := checkWebResponse(tt.r, seg)
		_, fatal := err.(*webFatalError)
		if (err == nil) != tt.ok || fatal != tt.fatal {
			t.Errorf("%d %q: err %v (fatal %v), want ok %v fatal %v", tt.r.StatusCode, tt.r.Header.Get("Content-Range"), err, fatal, tt.ok, tt.fatal)
		}
		if tt.r.StatusCode == 200 {
			if err := checkWebResponse(tt.r, webSeg{url: "u", n: 50}); err != nil {
				t.Errorf("200 to a range at 0: %v", err)
			}
		}
	}
}

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-0/1", "bytes 100-149/*", "bytes 5-4/9", "bytes -1-3/4", "bytes 9223372036854775807-9223372036854775807/*", "items 1-2/3", "bytes 1-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		first, last, ok := parseContentRange(v)
		if !ok {
			return
		}
		if first < 0 || last < first {
			t.Fatalf("%q: accepted %d-%d", v, first, last)
		}
		if a, b, ok := parseContentRange(fmt.Sprintf("bytes %d-%d/*", first, last)); !ok || a != first || b != last {
			t.Fatalf("%q: %d-%d does not roundtrip", v, first, last)
		}
	})
}
