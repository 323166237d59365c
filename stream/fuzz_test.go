package stream

import (
	"strings"
	"testing"
)

// FuzzParsePath feeds request paths to parsePath: it must never panic,
// accept only a 40-digit infohash and a plain file number, and read back
// what Path wrote.
func FuzzParsePath(f *testing.F) {
	f.Add("/0123456789abcdef0123456789abcdef01234567/3/payload/sub/b%20c.bin")
	f.Add("/0123456789abcdef0123456789abcdef01234567/0")
	f.Add("/0123456789ABCDEF0123456789abcdef01234567/-1/x")
	f.Add("/zz/0/..%2f..%2fetc%2fpasswd")
	f.Add("//0/%zz")
	f.Fuzz(func(t *testing.T, p string) {
		ih, file, name, ok := parsePath(p)
		if !ok {
			return
		}
		if file < 0 || strings.HasPrefix(p, "/-") {
			t.Fatalf("parsePath(%q) accepted file %d", p, file)
		}
		again := Path(ih, file, name)
		ih2, file2, name2, ok2 := parsePath(again)
		if !ok2 || ih2 != ih || file2 != file || (name2 != name && name != "") {
			t.Fatalf("roundtrip of %q: Path %q parses to %x %d %q %v; want %x %d %q", p, again, ih2, file2, name2, ok2, ih, file, name)
		}
	})
}
