package daemon

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/swarm"
)

// handshakeReply opens a connection to addr, sends a BitTorrent handshake
// for ih, and returns what came back before the connection closed or a
// second passed.
func handshakeReply(t *testing.T, addr string, ih [20]byte) []byte {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hs := append([]byte("\x13BitTorrent protocol"), make([]byte, 8)...)
	hs = append(append(hs, ih[:]...), []byte("-XX0000-blocklisttest")[:20]...)
	c.Write(hs)
	c.SetReadDeadline(time.Now().Add(time.Second))
	b, _ := io.ReadAll(io.LimitReader(c, 68))
	return b
}

// A blocked loopback address is neither dialled nor accepted, the peers
// view counts it, and the list is reloaded when its file changes.
func TestBlocklist_NeitherDialledNorAccepted(t *testing.T) {
	dir := t.TempDir()
	d, _ := newTestDaemon(t, dir, HTTPAuth{})
	list := filepath.Join(t.TempDir(), "blocklist.p2p")
	if err := os.WriteFile(list, []byte("# loopback, for the test\nlocal hosts:127.0.0.0-127.255.255.255\nnot a range\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.LoadBlocklist(list); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	go d.WatchBlocklist(ctx, list, 20*time.Millisecond)

	// A peer the torrent is told of: a listener that counts connections.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var dialled atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			dialled.Add(1)
			c.Close()
		}
	}()
	tor := makeTorrent(t, dir, "guarded")
	ih := swarm.InfoHash(tor.InfoHash)
	add, _ := d.source(ctx, AddRequest{Metainfo: tor.Bytes()}, Local)
	add.Dir, add.Peers = t.TempDir(), []string{ln.Addr().String()}
	if _, err := d.s.Add(ctx, add); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the blocked dial to be counted", 20*time.Second, func() bool {
		det, err := d.Detail(ctx, ih)
		return err == nil && det.Blocked == 1
	})
	if n := dialled.Load(); n != 0 {
		t.Errorf("the blocked peer was dialled %d times", n)
	}

	// Incoming from a blocked address: closed before a byte is answered.
	if b := handshakeReply(t, d.s.Addr().String(), ih); len(b) != 0 {
		t.Errorf("a blocked address got %d bytes of handshake back", len(b))
	}
	if st := d.Status(); st.Blocked < 2 {
		t.Errorf("Status.Blocked = %d, want the dial and the accept counted", st.Blocked)
	}

	// The list changes: loopback is no longer on it, and is answered.
	os.WriteFile(list, []byte("10.0.0.0/8\n"), 0o644)
	later := time.Now().Add(2 * time.Second)
	os.Chtimes(list, later, later)
	waitFor(t, "the reloaded list to let loopback in", 20*time.Second, func() bool {
		return len(handshakeReply(t, d.s.Addr().String(), ih)) == 68
	})
}
