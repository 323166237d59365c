package dht

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func sampleState() state {
	return state{
		ID: [20]byte{1, 2, 3},
		Nodes: []contact{
			{ID: [20]byte{9}, Addr: netip.MustParseAddrPort("127.0.0.1:6881")},
			{ID: [20]byte{8}, Addr: netip.MustParseAddrPort("192.168.1.20:51413")},
			{ID: [20]byte{7}, Addr: netip.MustParseAddrPort("[2001:db8::7]:6881")},
		},
		Saved: time.Unix(1_700_000_000, 0),
	}
}

func TestState_Roundtrip(t *testing.T) {
	st := sampleState()
	got, err := parseState(st.marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !got.equal(st) {
		t.Fatalf("roundtrip: got %+v, want %+v", got, st)
	}
}

func TestState_SaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dht.dat")
	if _, ok, err := loadState(path); ok || err != nil {
		t.Fatalf("missing file: ok %v, err %v; want neither", ok, err)
	}
	st := sampleState()
	if err := saveState(path, st); err != nil {
		t.Fatal(err)
	}
	got, ok, err := loadState(path)
	if err != nil || !ok || !got.equal(st) {
		t.Fatalf("load: %+v, %v, %v", got, ok, err)
	}
	// No temporary files are left beside it.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want just the state file", len(entries))
	}
}

func TestState_Rejects(t *testing.T) {
	for _, tt := range []struct{ name, in string }{
		{"not bencode", "hello"},
		{"trailing bytes", "d2:id20:aaaaaaaaaaaaaaaaaaaa1:vi1eeX"},
		{"wrong version", "d2:id20:aaaaaaaaaaaaaaaaaaaa1:vi2ee"},
		{"short id", "d2:id3:abc1:vi1ee"},
		{"truncated nodes", "d2:id20:aaaaaaaaaaaaaaaaaaaa5:nodes3:abc1:vi1ee"},
		{"zero port", "d2:id20:aaaaaaaaaaaaaaaaaaaa5:nodes26:bbbbbbbbbbbbbbbbbbbb\x7f\x00\x00\x01\x00\x001:vi1ee"},
		{"v4-mapped in nodes6", "d2:id20:aaaaaaaaaaaaaaaaaaaa6:nodes638:bbbbbbbbbbbbbbbbbbbb\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x7f\x00\x00\x01\x1a\xe11:vi1ee"},
	} {
		if st, err := parseState([]byte(tt.in)); !errors.Is(err, errBadState) {
			t.Errorf("%s: got %+v, %v; want errBadState", tt.name, st, err)
		}
	}
}

func TestState_TooManyNodes(t *testing.T) {
	st := state{}
	for i := range maxStateNodes + 1 {
		st.Nodes = append(st.Nodes, contact{ID: [20]byte{byte(i)}, Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 1)})
	}
	if _, err := parseState(st.marshal()); !errors.Is(err, errBadState) {
		t.Fatalf("got %v, want errBadState", err)
	}
}

// FuzzParseState: the loader never panics, and what it accepts survives a
// save/load roundtrip unchanged.
func FuzzParseState(f *testing.F) {
	f.Add(sampleState().marshal())
	f.Add(state{}.marshal())
	f.Add([]byte("d2:id20:aaaaaaaaaaaaaaaaaaaa5:nodes26:bbbbbbbbbbbbbbbbbbbb\x7f\x00\x00\x01\x1a\xe11:vi1ee"))
	f.Add([]byte("d1:vi1ee"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseState(b)
		if err != nil {
			return
		}
		again, err := parseState(st.marshal())
		if err != nil {
			t.Fatalf("re-parse of %+v: %v", st, err)
		}
		if !again.equal(st) {
			t.Fatalf("roundtrip: got %+v, want %+v", again, st)
		}
	})
}
