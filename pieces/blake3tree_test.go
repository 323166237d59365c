package pieces

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/zeebo/blake3"
)

// withBlake3 gives info's files their digests, as Create would.
func withBlake3(info *Info, stream []byte) {
	for k, f := range info.Files {
		sum := blake3.Sum256(stream[f.Offset : f.Offset+f.Length])
		info.Files[k].Blake3 = sum[:]
	}
}

// hashPieces hashes every piece of stream in a random order, each in
// writes of random sizes, as the disk goroutines see blocks.
func hashPieces(info *Info, stream []byte, rng *rand.Rand) map[Index]*PieceDigest {
	got := make(map[Index]*PieceDigest)
	for _, p := range rng.Perm(info.NumPieces()) {
		h := NewPieceHasher(info, p)
		if h == nil {
			continue
		}
		b := stream[info.PieceOffset(p) : info.PieceOffset(p)+info.PieceSize(p)]
		for len(b) > 0 {
			n := min(len(b), 1+rng.IntN(40<<10))
			if rng.IntN(2) == 0 {
				n = min(len(b), BlockSize) // most writes are whole blocks
			}
			h.Write(b[:n])
			b = b[n:]
		}
		got[p] = h.Sum()
	}
	return got
}

var blake3Layouts = []struct {
	pieceLen int64
	sizes    []int
}{
	{16 << 10, []int{1}},
	{16 << 10, []int{1023}},
	{16 << 10, []int{1024}},
	{16 << 10, []int{1025}},
	{16 << 10, []int{16 << 10}},
	{16 << 10, []int{16<<10 + 1}},
	{16 << 10, []int{100_000}},
	{64 << 10, []int{1 << 20}},
	{16 << 10, []int{1000, 0, 5000, 70001, 16384, 3, 200_000, 1024, 1}},
	{32 << 10, []int{1000, 0, 5000, 70001, 16384, 3, 200_000, 1024, 1}},
	{48 << 10, []int{33, 300_000, 17, 1 << 18, 999}}, // a piece length that is not a power of two
	{16 << 10, []int{500, 500, 500, 500, 500, 20_000}},
}

func layoutFiles(sizes []int) []testFile {
	if len(sizes) == 1 {
		return []testFile{{size: sizes[0]}}
	}
	var files []testFile
	for k, n := range sizes {
		files = append(files, testFile{path: fmt.Sprintf("f%d", k), size: n})
	}
	return files
}

func TestPieceDigest_MatchesFileDigest(t *testing.T) {
	for i, l := range blake3Layouts {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			info, stream := makeInfo(t, "b3", l.pieceLen, layoutFiles(l.sizes))
			withBlake3(info, stream)
			for seed := range uint64(4) {
				got := hashPieces(info, stream, rand.New(rand.NewPCG(seed, uint64(i))))
				for f, fi := range info.Files {
					sum, ok := FileBlake3(info, f, func(p Index) *PieceDigest { return got[p] })
					if !ok || !bytes.Equal(sum[:], fi.Blake3) {
						t.Fatalf("seed %d file %d (%d bytes at %d): ok=%v digest %x, want %x", seed, f, fi.Length, fi.Offset, ok, sum, fi.Blake3)
					}
				}
			}
		})
	}
}

func TestPieceDigest_MissingPieceIsNotADigest(t *testing.T) {
	info, stream := makeInfo(t, "b3", 16<<10, layoutFiles([]int{1000, 70001, 3000}))
	withBlake3(info, stream)
	got := hashPieces(info, stream, rand.New(rand.NewPCG(1, 2)))
	first, end := info.PiecesOf(1)
	for p := first; p < end; p++ {
		if _, ok := FileBlake3(info, 1, func(q Index) *PieceDigest {
			if q == p {
				return nil
			}
			return got[q]
		}); ok {
			t.Fatalf("file 1 has a digest without piece %d", p)
		}
	}
}

func TestPieceDigest_WrongBytesDoNotMatch(t *testing.T) {
	info, stream := makeInfo(t, "b3", 16<<10, layoutFiles([]int{1000, 70001, 3000}))
	withBlake3(info, stream)
	bad := bytes.Clone(stream)
	bad[1000+40_000] ^= 1
	got := hashPieces(info, bad, rand.New(rand.NewPCG(1, 2)))
	sum, ok := FileBlake3(info, 1, func(p Index) *PieceDigest { return got[p] })
	if !ok || bytes.Equal(sum[:], info.Files[1].Blake3) {
		t.Fatalf("a flipped bit gave ok=%v and the file's digest", ok)
	}
}

// A resumed download knows the digests of the pieces it fetched since the
// restart; the rest is read from disk.
func TestVerifyFileBlake3Known_ReadsOnlyWhatIsMissing(t *testing.T) {
	for i, l := range blake3Layouts {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			info, stream := makeInfo(t, "b3", l.pieceLen, layoutFiles(l.sizes))
			withBlake3(info, stream)
			dir := t.TempDir()
			writeTree(t, dir, info, stream)
			s, err := OpenStorage(dir, info)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rng := rand.New(rand.NewPCG(7, uint64(i)))
			got := hashPieces(info, stream, rng)
			for p := range got {
				if rng.IntN(2) == 0 {
					delete(got, p)
				}
			}
			for f, fi := range info.Files {
				if fi.Length == 0 {
					continue
				}
				r, err := VerifyFileBlake3Known(t.Context(), s, info, f, func(p Index) *PieceDigest { return got[p] })
				if err != nil || !r.OK {
					t.Fatalf("file %d: %+v, %v", f, r, err)
				}
			}
			// A byte changed on disk in a piece read back is found; one in a
			// piece known from the write path is not read.
			f := len(info.Files) - 1
			for info.Files[f].Length == 0 {
				f--
			}
			fi := info.Files[f]
			last := Index((fi.Offset + fi.Length - 1) / info.PieceLength)
			delete(got, last)
			flip := []byte{stream[fi.Offset+fi.Length-1] ^ 0xff}
			if _, err := s.WriteAt(flip, fi.Offset+fi.Length-1); err != nil {
				t.Fatal(err)
			}
			r, err := VerifyFileBlake3Known(t.Context(), s, info, f, func(p Index) *PieceDigest { return got[p] })
			if err != nil || r.OK || r.Err != ErrDigestMismatch {
				t.Fatalf("edited file %d: %+v, %v", f, r, err)
			}
		})
	}
}

func FuzzPieceDigest(f *testing.F) {
	f.Add(uint16(1000), uint16(70001-65536), uint16(3), uint8(1), uint64(1))
	f.Add(uint16(1024), uint16(0), uint16(16384), uint8(2), uint64(2))
	f.Fuzz(func(t *testing.T, a, b, c uint16, blocks uint8, seed uint64) {
		if a == 0 {
			a = 1
		}
		pieceLen := int64(1+blocks%4) * BlockSize
		info, stream := makeInfo(t, "b3", pieceLen, layoutFiles([]int{int(a), int(b), int(c) * 3}))
		withBlake3(info, stream)
		got := hashPieces(info, stream, rand.New(rand.NewPCG(seed, 0)))
		for k, fi := range info.Files {
			sum, ok := FileBlake3(info, k, func(p Index) *PieceDigest { return got[p] })
			if !ok || !bytes.Equal(sum[:], fi.Blake3) {
				t.Fatalf("file %d (%d bytes at %d, pieces of %d): ok=%v", k, fi.Length, fi.Offset, pieceLen, ok)
			}
		}
	})
}
