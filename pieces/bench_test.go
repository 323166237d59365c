package pieces

import (
	"crypto/sha1"
	"github.com/zeebo/blake3"
	"testing"
)

// BenchmarkCreate hashes a 64 MiB two-file folder end to end (read, SHA-1 on
// all cores, BLAKE3 per file); MB/s is of payload. The files stay in the
// page cache, so this measures hashing, not the disk.
func BenchmarkCreate(b *testing.B) {
	root := writeFolder(b, "bench", []testFile{{"a", 48 << 20}, {"b/c", 16 << 20}})
	b.SetBytes(64 << 20)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Create(b.Context(), root, CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreate_Format is BenchmarkCreate in each format: v2 SHA-256s
// every 16 KiB block on the same workers as SHA-1 (and hybrid does both),
// with no BLAKE3 for v2. MB/s is of payload.
func BenchmarkCreate_Format(b *testing.B) {
	root := writeFolder(b, "bench", []testFile{{"a", 48 << 20}, {"b/c", 16 << 20}})
	for _, f := range []Format{FormatV1, FormatV2, FormatHybrid} {
		b.Run(f.String(), func(b *testing.B) {
			b.SetBytes(64 << 20)
			for b.Loop() {
				if _, err := Create(b.Context(), root, CreateOptions{Format: f}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHashPiece reads and hashes 1 MiB pieces through Storage.
func BenchmarkHashPiece(b *testing.B) {
	info, stream := makeInfo(b, "bench", 1<<20, []testFile{{"", 16 << 20}})
	dir := b.TempDir()
	writeTree(b, dir, info, stream)
	s, err := OpenStorage(dir, info)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetBytes(info.PieceLength)
	b.ResetTimer()
	p := 0
	for b.Loop() {
		if _, err := s.HashPiece(p % info.NumPieces()); err != nil {
			b.Fatal(err)
		}
		p++
	}
}

// BenchmarkSHA1 is the ceiling for one core, to compare the others with.
func BenchmarkSHA1(b *testing.B) {
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		sha1.Sum(buf)
	}
}

// BenchmarkBLAKE3 is the single-core BLAKE3 speed Create pays per file.
func BenchmarkBLAKE3(b *testing.B) {
	buf := make([]byte, 1<<20)
	h := blake3.New()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		h.Write(buf)
	}
}
