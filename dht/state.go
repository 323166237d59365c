package dht

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/anacrolix/torrent/bencode"

	"github.com/shoal-bt/shoal/internal/atomicfile"
)

// errBadState marks a state file that exists but cannot be used; New logs
// it and starts with an empty table rather than refusing to run.
var errBadState = errors.New("bad dht state file")

const (
	stateVersion = 1
	// maxStateNodes bounds what a (corrupt or hostile) file can make us
	// load; a full routing table holds 160 buckets of 8.
	maxStateNodes = 4096
	compactV4Len  = 20 + 4 + 2
	compactV6Len  = 20 + 16 + 2
)

// state is what persists across restarts: who we are and whom we knew.
type state struct {
	ID    [20]byte
	Nodes []contact
	Saved time.Time // second precision
}

type contact struct {
	ID   [20]byte
	Addr netip.AddrPort
}

// stateWire is the file: a bencoded dict whose node lists use the compact
// encoding of BEP 5 (nodes) and BEP 32 (nodes6), so it can be inspected with
// any bencode tool.
type stateWire struct {
	Version int    `bencode:"v"`
	ID      string `bencode:"id"`
	Nodes   string `bencode:"nodes"`
	Nodes6  string `bencode:"nodes6"`
	Saved   int64  `bencode:"saved"`
}

func (st state) marshal() []byte {
	w := stateWire{Version: stateVersion, ID: string(st.ID[:]), Saved: st.Saved.Unix()}
	var v4, v6 []byte
	for _, c := range st.Nodes {
		ip := c.Addr.Addr()
		if ip.Is4() {
			v4 = append(v4, c.ID[:]...)
			v4 = append(v4, ip.AsSlice()...)
			v4 = binary.BigEndian.AppendUint16(v4, c.Addr.Port())
		} else {
			v6 = append(v6, c.ID[:]...)
			v6 = append(v6, ip.AsSlice()...)
			v6 = binary.BigEndian.AppendUint16(v6, c.Addr.Port())
		}
	}
	w.Nodes, w.Nodes6 = string(v4), string(v6)
	return bencode.MustMarshal(w)
}

// parseState decodes a state file. It rejects the whole file on any
// malformed entry: we wrote it, so damage means it cannot be trusted.
func parseState(b []byte) (state, error) {
	var w stateWire
	if err := bencode.Unmarshal(b, &w); err != nil {
		return state{}, fmt.Errorf("%w: %w", errBadState, err)
	}
	if w.Version != stateVersion {
		return state{}, fmt.Errorf("%w: version %d, want %d", errBadState, w.Version, stateVersion)
	}
	var st state
	if len(w.ID) != len(st.ID) {
		return state{}, fmt.Errorf("%w: node id is %d bytes", errBadState, len(w.ID))
	}
	copy(st.ID[:], w.ID)
	st.Saved = time.Unix(w.Saved, 0)
	if len(w.Nodes)%compactV4Len != 0 || len(w.Nodes6)%compactV6Len != 0 {
		return state{}, fmt.Errorf("%w: truncated node list", errBadState)
	}
	if n := len(w.Nodes)/compactV4Len + len(w.Nodes6)/compactV6Len; n > maxStateNodes {
		return state{}, fmt.Errorf("%w: %d nodes, at most %d", errBadState, n, maxStateNodes)
	}
	for _, list := range []struct {
		b      string
		stride int
	}{{w.Nodes, compactV4Len}, {w.Nodes6, compactV6Len}} {
		for off := 0; off < len(list.b); off += list.stride {
			c, err := parseContact([]byte(list.b[off : off+list.stride]))
			if err != nil {
				return state{}, err
			}
			st.Nodes = append(st.Nodes, c)
		}
	}
	return st, nil
}

func parseContact(b []byte) (contact, error) {
	var c contact
	copy(c.ID[:], b)
	ip, _ := netip.AddrFromSlice(b[20 : len(b)-2])
	port := binary.BigEndian.Uint16(b[len(b)-2:])
	// A v4-mapped address in nodes6 would come back in nodes: refuse it so
	// a file always means one thing.
	if ip.Is4In6() || !usableNodeAddr(ip, port) {
		return contact{}, fmt.Errorf("%w: unusable node address %v", errBadState, netip.AddrPortFrom(ip, port))
	}
	c.Addr = netip.AddrPortFrom(ip, port)
	return c, nil
}

// usableNodeAddr is what we agree to send queries to.
func usableNodeAddr(ip netip.Addr, port uint16) bool {
	return port != 0 && ip.IsValid() && !ip.IsUnspecified() && !ip.IsMulticast()
}

// loadState reads path; a missing file is no error and yields ok == false.
func loadState(path string) (st state, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return state{}, false, nil
	}
	if err != nil {
		return state{}, false, err
	}
	st, err = parseState(b)
	if err != nil {
		return state{}, false, fmt.Errorf("%s: %w", path, err)
	}
	return st, true, nil
}

// saveState writes path atomically: a crash leaves the old file or the new
// one, never half of either.
func saveState(path string, st state) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := atomicfile.Write(path, st.marshal(), 0o600, true); err != nil {
		return fmt.Errorf("save dht state: %w", err)
	}
	return nil
}

func (st state) equal(o state) bool {
	return st.ID == o.ID && st.Saved.Equal(o.Saved) && slices.Equal(st.Nodes, o.Nodes)
}
