package pieces

import (
	"bytes"
	"math/bits"
	"reflect"
	"slices"
	"testing"
)

// checkInfoInvariants fails t if a validated Info breaks a promise callers
// rely on: safe names, consistent offsets, piece arithmetic, and that the
// canonical encoding parses back to the same Info.
func checkInfoInvariants(t *testing.T, info *Info) {
	t.Helper()
	if checkComponent(info.Name) != nil || len(info.Files) == 0 || info.Length <= 0 {
		t.Fatalf("accepted bad name/files/length: %q %d %d", info.Name, len(info.Files), info.Length)
	}
	var off int64
	for k, f := range info.Files {
		if f.Offset != off || f.Length < 0 {
			t.Fatalf("file %d offset %d length %d, running total %d", k, f.Offset, f.Length, off)
		}
		if f.Path == nil && len(info.Files) != 1 || f.Path != nil && checkPath(f.Path) != nil {
			t.Fatalf("file %d accepted with path %q", k, f.Path)
		}
		off += f.Length
	}
	if off != info.Length || int64(info.NumPieces()) != (info.Length+info.PieceLength-1)/info.PieceLength {
		t.Fatalf("length %d (files say %d), %d pieces of %d", info.Length, off, info.NumPieces(), info.PieceLength)
	}
	for p := range min(info.NumPieces(), 64) {
		first, end := info.FilesOf(p)
		var covered int64
		for k := first; k < end; k++ {
			f := info.Files[k]
			lo, hi := max(f.Offset, info.PieceOffset(p)), min(f.Offset+f.Length, info.PieceOffset(p)+info.PieceSize(p))
			covered += max(0, hi-lo)
		}
		if covered != info.PieceSize(p) {
			t.Fatalf("piece %d: files [%d,%d) cover %d of %d bytes", p, first, end, covered, info.PieceSize(p))
		}
	}
	if info.HasV2() {
		// encode writes v1 only; check what v2 promises instead.
		for k, f := range info.Files {
			if f.Padding || f.Length == 0 {
				continue
			}
			if len(f.Root) != 32 || f.Offset%info.PieceLength != 0 {
				t.Fatalf("v2 file %d: root of %d bytes at offset %d", k, len(f.Root), f.Offset)
			}
		}
		return
	}
	again, err := ParseInfo(info.encode())
	if err != nil {
		t.Fatalf("canonical re-encoding rejected: %v", err)
	}
	if !reflect.DeepEqual(again, info) {
		t.Fatalf("canonical re-encoding changed the info:\n%+v\n%+v", again, info)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("d8:announce21:http://127.0.0.1:1/a4:infod6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee"))
	f.Add([]byte("d4:infod5:filesld6:lengthi1e4:pathl2:..1:xeee4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee"))
	f.Add([]byte("d4:infod6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae8:url-list17:http://127.0.0.1/e"))
	f.Add([]byte("d4:infod6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae8:url-listl18:http://127.0.0.1/ai3e6:ftp://ee"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tor, err := Parse(data)
		if err != nil {
			return
		}
		checkInfoInvariants(t, tor.Info)
		again, err := Parse(tor.Bytes())
		if err != nil {
			t.Fatalf("Parse(Bytes()) failed: %v", err)
		}
		if again.InfoHash != tor.InfoHash || !reflect.DeepEqual(again.Announce, tor.Announce) ||
			again.Comment != tor.Comment || !again.CreationDate.Equal(tor.CreationDate) ||
			!reflect.DeepEqual(again.WebSeeds, tor.WebSeeds) {
			t.Fatalf("roundtrip changed the torrent:\n%+v\n%+v", again, tor)
		}
		for _, u := range tor.WebSeeds {
			if err := CheckWebSeed(u); err != nil {
				t.Fatalf("kept web seed %q: %v", u, err)
			}
		}
		if m, err := ParseMagnet(tor.Magnet("127.0.0.1:6881")); err != nil || m.InfoHash != tor.InfoHash ||
			!reflect.DeepEqual(m.WebSeeds, tor.WebSeeds) {
			t.Fatalf("magnet of a parsed torrent: %+v, %v", m, err)
		}
	})
}

func FuzzParseInfo(f *testing.F) {
	f.Add([]byte("d6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae"))
	f.Add([]byte("d5:filesld6:lengthi0e4:pathl1:eeed6:lengthi9e4:pathl1:d1:feee4:name1:a12:piece lengthi32768e6:pieces20:aaaaaaaaaaaaaaaaaaaae"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		info, err := ParseInfo(raw)
		if err != nil {
			return
		}
		checkInfoInvariants(t, info)
	})
}

func FuzzParseFileTree(f *testing.F) {
	f.Add([]byte("d1:ad0:d6:lengthi1e11:pieces root32:rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrreee"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if checkBencode(raw, maxBencodeDepth) != nil {
			return // ParseInfo checks first; the tree parser relies on it
		}
		files, err := parseFileTree(raw)
		if err != nil {
			return
		}
		if len(files) == 0 {
			t.Fatal("accepted a tree with no files")
		}
		for k, f := range files {
			if checkPath(f.path) != nil || f.length < 0 || (f.length > 0) != (len(f.root) == 32) || f.length == 0 && f.root != nil {
				t.Fatalf("file %d accepted: %q %d root %d bytes", k, f.path, f.length, len(f.root))
			}
			if k > 0 && slices.Compare(files[k-1].path, f.path) >= 0 {
				t.Fatalf("files out of order: %q before %q", files[k-1].path, f.path)
			}
		}
	})
}

func FuzzParseMagnet(f *testing.F) {
	f.Add("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=x&tr=http%3A%2F%2F127.0.0.1%3A1%2Fa&x.pe=127.0.0.1:6881")
	f.Add("magnet:?xt=urn:btih:AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH&x.pe=[::1]:1")
	f.Add("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&ws=http%3A%2F%2F127.0.0.1%3A8080%2Fd%2F&ws=ftp://x/")
	f.Add("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&so=0,2,4-6&so=5-9")
	f.Fuzz(func(t *testing.T, uri string) {
		m, err := ParseMagnet(uri)
		if err != nil {
			return
		}
		for _, u := range m.WebSeeds {
			if err := CheckWebSeed(u); err != nil {
				t.Fatalf("kept web seed %q: %v", u, err)
			}
		}
		again, err := ParseMagnet(m.String())
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("roundtrip of %q via %q: %+v, %v; want %+v", uri, m.String(), again, err, m)
		}
	})
}

// FuzzParseFileList: a list either fails or comes back sorted, distinct and
// in range, and survives FormatFileList.
func FuzzParseFileList(f *testing.F) {
	for _, s := range []string{"0", "0,2,4-6", "3-3,1,1-2", "99999", "5-1", "-1", "01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseFileList(s)
		if err != nil {
			return
		}
		for i, n := range l {
			if n < 0 || n >= MaxFiles || i > 0 && n <= l[i-1] {
				t.Fatalf("%q: %v is not sorted, distinct and in range", s, l)
			}
		}
		again, err := ParseFileList(FormatFileList(l))
		if err != nil || !slices.Equal(again, l) {
			t.Fatalf("%q: via %q: %v, %v", s, FormatFileList(l), again, err)
		}
	})
}

func FuzzBitfieldFromBytes(f *testing.F) {
	f.Add([]byte{0xff, 0xc0}, 10)
	f.Add([]byte{0xff, 0xe0}, 10)
	f.Add([]byte{}, 0)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		bf, err := BitfieldFromBytes(b, n)
		if err != nil {
			return
		}
		ones := 0
		for _, x := range b {
			ones += bits.OnesCount8(x)
		}
		if bf.Len() != n || bf.Count() != ones || !bytes.Equal(bf.Bytes(), b) || bf.All() != (ones == n) {
			t.Fatalf("BitfieldFromBytes(%x, %d) = len %d count %d bytes %x", b, n, bf.Len(), bf.Count(), bf.Bytes())
		}
		for i := range n {
			if bf.Has(i) != (b[i/8]&(0x80>>(i%8)) != 0) {
				t.Fatalf("Has(%d) disagrees with the wire bytes", i)
			}
		}
		if again, err := BitfieldFromBytes(bf.Bytes(), n); err != nil || !bytes.Equal(again.Bytes(), b) {
			t.Fatalf("roundtrip: %v", err)
		}
	})
}
