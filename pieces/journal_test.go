package pieces

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestJournal_RoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.journal")
	if _, err := ReadJournal(path, "boot-a", 10); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing journal: %v", err)
	}
	j, err := CreateJournal(path, "boot-a")
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{3, 0, 9, 3} {
		if err := j.Add(i); err != nil {
			t.Fatal(err)
		}
	}
	// Read while still open, as a restart after kill -9 would.
	got, err := ReadJournal(path, "boot-a", 10)
	if err != nil || !slices.Equal(got, []int{3, 0, 9, 3}) {
		t.Fatalf("read %v, %v", got, err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadJournal(path, "boot-b", 10); !errors.Is(err, ErrJournalOtherBoot) {
		t.Fatalf("other boot: %v", err)
	}
	// Starting again forgets the old entries.
	j, err = CreateJournal(path, "boot-a")
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if got, err := ReadJournal(path, "boot-a", 10); err != nil || len(got) != 0 {
		t.Fatalf("fresh journal: %v, %v", got, err)
	}
}

// A torn last entry, a flipped byte or an index past the torrent's end
// stops the reading there; what came before stands.
func TestJournal_DamageStopsReading(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.journal")
	j, err := CreateJournal(path, "boot")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		j.Add(i)
	}
	j.Close()
	good, _ := os.ReadFile(path)
	hdr := len(good) - 4*8
	for _, tt := range []struct {
		name string
		b    []byte
		want []int
		bad  bool
	}{
		{"torn entry", good[:len(good)-3], []int{0, 1, 2}, false},
		{"flipped index", flip(good, hdr+8+3), []int{0}, false},
		{"flipped sum", flip(good, hdr+16+6), []int{0, 1}, false},
		{"flipped header", flip(good, 9), nil, true},
		{"header only, torn", good[:10], nil, true},
		{"empty", nil, nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeJournal(tt.b, "boot", 4)
			if tt.bad {
				if !errors.Is(err, ErrBadResume) {
					t.Fatalf("got %v, %v; want ErrBadResume", got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if got, err := decodeJournal(good, "boot", 3); err != nil || !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("fewer pieces: %v, %v", got, err)
	}
}

func flip(b []byte, at int) []byte {
	out := slices.Clone(b)
	out[at] ^= 0x40
	return out
}

func FuzzDecodeJournal(f *testing.F) {
	path := filepath.Join(f.TempDir(), "j")
	j, err := CreateJournal(path, "boot")
	if err != nil {
		f.Fatal(err)
	}
	j.Add(1)
	j.Add(7)
	j.Close()
	b, _ := os.ReadFile(path)
	f.Add(b, 8)
	f.Add(b[:len(b)-1], 2)
	f.Add([]byte("SHOALJNL\xff"), 1)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		n = min(max(n, 0), MaxPieces)
		got, err := decodeJournal(b, "boot", n)
		if err != nil && got != nil {
			t.Fatalf("error %v with %d pieces", err, len(got))
		}
		for _, i := range got {
			if i < 0 || i >= n {
				t.Fatalf("piece %d of %d", i, n)
			}
		}
	})
}
