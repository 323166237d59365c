package pieces

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestLeafHasher_AgreesWithReadBack: fed a v2 piece's bytes as the disk
// path writes them (16 KiB blocks, or uneven chunks), the hasher says what
// reading the piece back says, for every piece of files that end inside a
// piece, fit in one, or are empty; a flipped byte or a missing block fails.
func TestLeafHasher_AgreesWithReadBack(t *testing.T) {
	const pl = 32 << 10
	dir := t.TempDir()
	root := filepath.Join(dir, "payload")
	rng := rand.New(rand.NewPCG(5, 6))
	for name, n := range map[string]int{"a": 5*pl + 777, "b": 3, "c": 0, "d": pl, "e": 2*pl + BlockSize} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tor, err := Create(t.Context(), root, CreateOptions{PieceLength: pl, Format: FormatV2})
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenStorage(dir, tor.Info)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	info := tor.Info
	checked := 0
	for p := range info.NumPieces() {
		want, err := pieceOKV2(s, info, tor.PieceLayers, p)
		if err != nil || !want {
			t.Fatalf("piece %d read back: %v %v", p, want, err)
		}
		data := make([]byte, info.PieceSize(p))
		if _, err := s.ReadAt(data, info.PieceOffset(p)); err != nil {
			t.Fatal(err)
		}
		h := NewLeafHasher(info, p)
		if h == nil {
			t.Fatalf("piece %d: no hasher", p)
		}
		feed(h, data, BlockSize)
		if !h.OK(tor, p) {
			t.Errorf("piece %d in 16 KiB blocks: not OK", p)
		}
		h = NewLeafHasher(info, p)
		feed(h, data, 5000)
		if !h.OK(tor, p) {
			t.Errorf("piece %d in 5000-byte chunks: not OK", p)
		}
		_, n := v2FileOf(info, p)
		bad := append([]byte(nil), data...)
		bad[n/2] ^= 1 // a byte of the file's, not a pad zero
		if h = NewLeafHasher(info, p); feed(h, bad, BlockSize) && h.OK(tor, p) {
			t.Errorf("piece %d with a flipped byte: OK", p)
		}
		if h = NewLeafHasher(info, p); feed(h, data[:n-1], BlockSize) && h.OK(tor, p) {
			t.Errorf("piece %d one byte short of its file's: OK", p)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d pieces", checked)
	}
}

func feed(h *LeafHasher, data []byte, chunk int) bool {
	for off := 0; off < len(data); off += chunk {
		h.Write(data[off:min(len(data), off+chunk)])
	}
	return true
}
