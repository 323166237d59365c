package pieces

import (
	"bytes"
	"path/filepath"
	"testing"
)

// TestStorage_WriteBuffersAt writes the torrent as runs of unequal buffers
// (inside one file, across file boundaries and empty files, and odd sizes
// that leave a partial iovec) and checks every byte and every piece.
func TestStorage_WriteBuffersAt(t *testing.T) {
	info, stream := makeInfo(t, "root", 16384, multiFiles)
	for _, run := range []int{1, 7, 4096, 16384, 20000, 70000} {
		s, err := OpenStorage(filepath.Join(t.TempDir(), "dl"), info)
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off < len(stream); off += run {
			end := min(off+run, len(stream))
			// Split the run into buffers of 1, 3, 1000, ... bytes.
			var bufs [][]byte
			for at, k := off, 0; at < end; k++ {
				n := min([]int{1, 3, 1000, 5000}[k%4], end-at)
				bufs = append(bufs, stream[at:at+n])
				at += n
			}
			if n, err := s.WriteBuffersAt(bufs, int64(off)); err != nil || n != end-off {
				t.Fatalf("run %d: WriteBuffersAt at %d: %d, %v", run, off, n, err)
			}
		}
		got := make([]byte, len(stream))
		if _, err := s.ReadAt(got, 0); err != nil || !bytes.Equal(got, stream) {
			t.Fatalf("run %d: read back differs: %v", run, err)
		}
		for p := range info.NumPieces() {
			if h, err := s.HashPiece(p); err != nil || h != info.Hashes[p] {
				t.Fatalf("run %d: piece %d: %v", run, p, err)
			}
		}
		if err := s.statFile(6); err != nil { // zend, empty, last
			t.Errorf("run %d: the empty last file was not created: %v", run, err)
		}
		if _, err := s.WriteBuffersAt([][]byte{{1}, {2}}, info.Length-1); err == nil {
			t.Errorf("run %d: a write past the end was accepted", run)
		}
		s.Close()
	}
}
