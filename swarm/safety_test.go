package swarm_test

import (
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

func TestAdd_TraversalPathRefused(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "downloads")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := []byte("pwned\n")
	h := sha1.Sum(data)
	for _, path := range [][]string{{"..", "..", "escape.txt"}, {"sub", "..", "..", "escape.txt"}} {
		// Built by hand: pieces.Parse would already refuse it.
		info := &pieces.Info{Name: "evil", PieceLength: 16 << 10, Hashes: [][20]byte{h}, Length: int64(len(data)),
			Files: []pieces.File{{Path: path, Length: int64(len(data))}}}
		tor := &pieces.Torrent{InfoHash: [20]byte{1, byte(len(path))}, Info: info}
		s := testnet.StartSession(t, swarm.Config{})
		if _, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dir}); err == nil {
			t.Fatalf("path %q accepted", path)
		}
	}
	entries, _ := os.ReadDir(base)
	if len(entries) != 1 {
		t.Fatalf("something was written next to the download dir: %v", entries)
	}
}

func TestAdd_ExistingDifferentFilesRefusedWithoutForce(t *testing.T) {
	src, root := payload(t, 7, testnet.File{Path: "keep.txt", Size: 100_000}, testnet.File{Path: "sub/precious.doc", Size: 200_000})
	tor := testnet.Create(t, root, 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})

	dst := t.TempDir()
	// The user's own, different file where the torrent wants to write.
	testnet.WriteTree(t, filepath.Join(dst, "payload"), 99, testnet.File{Path: "sub/precious.doc", Size: 200_000})
	before, _ := os.ReadFile(filepath.Join(dst, "payload", "sub", "precious.doc"))

	s2 := testnet.StartSession(t, swarm.Config{})
	_, err := s2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst, Peers: []string{s1.Addr().String()}})
	if !errors.Is(err, swarm.ErrExistingData) || !strings.Contains(err.Error(), "precious.doc") {
		t.Fatalf("Add = %v, want ErrExistingData naming precious.doc", err)
	}
	after, _ := os.ReadFile(filepath.Join(dst, "payload", "sub", "precious.doc"))
	if !slices.Equal(before, after) {
		t.Fatal("existing file modified by a refused Add")
	}

	if _, err := s2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst, Force: true, Peers: []string{s1.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, s2, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}

func TestAdd_ExistingIdenticalFilesSeedAfterCheck(t *testing.T) {
	src, root := payload(t, 8, testnet.File{Path: "a", Size: 300_000})
	tor := testnet.Create(t, root, 16<<10)
	s := testnet.StartSession(t, swarm.Config{})
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src})
	if err != nil {
		t.Fatal(err)
	}
	testnet.WaitComplete(t, s, ih, 5*time.Second)
	if n := swarm.PiecesChecked(s, ih); n != int64(len(tor.Info.Hashes)) {
		t.Errorf("checked %d pieces, want all %d", n, len(tor.Info.Hashes))
	}
}

func TestResume_RestartSkipsRehash(t *testing.T) {
	src, root := payload(t, 9, testnet.File{Path: "r1", Size: 1 << 20}, testnet.File{Path: "d/r2", Size: 77_777})
	tor := testnet.Create(t, root, 16<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	state, dst := t.TempDir(), t.TempDir()

	l, stop := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	leech(t, l, swarm.AddOptions{Torrent: tor, Dir: dst, Peers: []string{s1.Addr().String()}})
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	stop()

	l2, stop2 := testnet.StartStoppable(t, swarm.Config{StateDir: state})
	if _, err := l2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst}); err != nil {
		t.Fatal(err)
	}
	ts, _ := testnet.Find(l2, ih)
	if ts.State != swarm.StateSeeding {
		t.Fatalf("after restart state = %v, want seeding at once", ts.State)
	}
	if n := swarm.PiecesChecked(l2, ih); n != 0 {
		t.Fatalf("restart hashed %d pieces; resume should make that 0", n)
	}
	stop2()

	// A file shoal wrote but that changed since: checked again, not refused.
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dst, "payload", "r1"), future, future); err != nil {
		t.Fatal(err)
	}
	l3 := testnet.StartSession(t, swarm.Config{StateDir: state})
	if _, err := l3.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst}); err != nil {
		t.Fatal(err)
	}
	if n := swarm.PiecesChecked(l3, ih); n == 0 {
		t.Fatal("changed file not checked")
	}
	testnet.WaitComplete(t, l3, ih, 5*time.Second)
}

func TestResume_PartialDownloadContinues(t *testing.T) {
	src, root := payload(t, 10, testnet.File{Path: "p", Size: 4 << 20})
	tor := testnet.Create(t, root, 32<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	state, dst := t.TempDir(), t.TempDir()

	l, stop := testnet.StartStoppable(t, swarm.Config{StateDir: state, DownLimitBps: 2 << 20})
	leech(t, l, swarm.AddOptions{Torrent: tor, Dir: dst, Peers: []string{s1.Addr().String()}})
	testnet.WaitFor(t, l, ih, 30*time.Second, "some progress", func(ts swarm.TorrentSnapshot) bool { return ts.DoneBytes > 1<<20 })
	stop()

	l2 := testnet.StartSession(t, swarm.Config{StateDir: state})
	if _, err := l2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst, Peers: []string{s1.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	ts, _ := testnet.Find(l2, ih)
	if ts.DoneBytes < 1<<20 || swarm.PiecesChecked(l2, ih) != 0 {
		t.Fatalf("restart: done %d bytes, checked %d pieces; want progress kept without a check", ts.DoneBytes, swarm.PiecesChecked(l2, ih))
	}
	testnet.WaitComplete(t, l2, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}

func TestTracker_DiscoveryAndEvents(t *testing.T) {
	tr := testnet.StartTracker(t)
	src, root := payload(t, 11, testnet.File{Path: "t.bin", Size: 1 << 20})
	tor := testnet.Create(t, root, 16<<10, tr.URL)
	s1, ih := seed(t, src, tor, swarm.Config{})
	deadline := time.Now().Add(10 * time.Second)
	for tr.Peers(ih) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("seed never announced")
		}
		time.Sleep(10 * time.Millisecond)
	}
	l, stop := testnet.StartStoppable(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor}) // no peers: only the tracker
	ts := testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if len(ts.Trackers) != 1 || ts.Trackers[0].LastErr != "" || ts.Trackers[0].LastAnnounce.IsZero() {
		t.Errorf("tracker snapshot = %+v", ts.Trackers)
	}
	testnet.WaitFor(t, l, ih, 15*time.Second, "completed announce", func(swarm.TorrentSnapshot) bool {
		return slices.Contains(tr.Events(), "completed")
	})
	stop()
	if !slices.Contains(tr.Events(), "stopped") {
		t.Errorf("no stopped announce on shutdown; events %q", tr.Events())
	}
	_ = s1
}

func TestTracker_UDP(t *testing.T) {
	t.Parallel()
	tr := testnet.StartUDPTracker(t)
	src, root := payload(t, 22, testnet.File{Path: "u.bin", Size: 600_000})
	tor := testnet.Create(t, root, 16<<10, tr.URL)
	_, ih := seed(t, src, tor, swarm.Config{})
	deadline := time.Now().Add(10 * time.Second)
	for tr.Announces() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("seed never announced over UDP")
		}
		time.Sleep(10 * time.Millisecond)
	}
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor})
	ts := testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if ts.Sources.Tracker == 0 {
		t.Errorf("sources = %+v", ts.Sources)
	}
}

// A magnet whose info dict (served by a peer, matching the infohash) names
// a path outside the download directory must fail, writing nothing.
func TestMagnet_TraversalMetadataRefused(t *testing.T) {
	t.Parallel()
	data := []byte("pwned\n")
	h := sha1.Sum(data)
	info := bencode.MustMarshal(map[string]any{
		"name": "evil", "piece length": 16 << 10, "pieces": string(h[:]),
		"files": []any{map[string]any{"length": len(data), "path": []string{"..", "..", "escape.txt"}}},
	})
	ih := sha1.Sum(info)
	addr := serveMetadata(t, ih, info)
	base := t.TempDir()
	dir := filepath.Join(base, "dl")
	os.Mkdir(dir, 0o755)
	l := testnet.StartSession(t, swarm.Config{})
	if _, err := l.Add(t.Context(), swarm.AddOptions{Magnet: &pieces.Magnet{InfoHash: ih, Peers: []string{addr}}, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	ts := testnet.WaitFor(t, l, ih, 10*time.Second, "error state", func(ts swarm.TorrentSnapshot) bool { return ts.State == swarm.StateError })
	if !strings.Contains(ts.Err, "metadata") {
		t.Errorf("err = %q", ts.Err)
	}
	if entries, _ := os.ReadDir(base); len(entries) != 1 {
		t.Fatalf("written outside the download dir: %v", entries)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("written in the download dir: %v", entries)
	}
}

// serveMetadata runs a bare peer that answers ut_metadata requests with
// info, and nothing else.
func serveMetadata(t *testing.T, ih [20]byte, info []byte) string {
	open := make(chan struct{})
	close(open)
	return serveMetadataAfter(t, ih, info, open)
}

// serveMetadataAfter is serveMetadata holding each answer until gate is
// closed.
func serveMetadataAfter(t *testing.T, ih [20]byte, info []byte, gate <-chan struct{}) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(60 * time.Second))
				var hs [68]byte
				if _, err := io.ReadFull(c, hs[:]); err != nil {
					return
				}
				reply := append([]byte("\x13BitTorrent protocol\x00\x00\x00\x00\x00\x10\x00\x04"), ih[:]...)
				reply = append(reply, "-XX0001-abcdefghijkl"...)
				send := func(payload []byte) {
					c.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(payload))), payload...))
				}
				c.Write(reply)
				send([]byte{byte(pp.HaveNone)})
				ext := bencode.MustMarshal(map[string]any{"m": map[string]int{"ut_metadata": 1}, "metadata_size": len(info)})
				send(append([]byte{byte(pp.Extended), 0}, ext...))
				for {
					var hdr [4]byte
					if _, err := io.ReadFull(c, hdr[:]); err != nil {
						return
					}
					msg := make([]byte, binary.BigEndian.Uint32(hdr[:]))
					if _, err := io.ReadFull(c, msg); err != nil {
						return
					}
					if len(msg) < 2 || msg[0] != byte(pp.Extended) || msg[1] != 1 {
						continue
					}
					var req pp.ExtendedMetadataRequestMsg
					if bencode.Unmarshal(msg[2:], &req) != nil || req.Type != pp.RequestMetadataExtensionMsgType || req.Piece != 0 {
						continue
					}
					select {
					case <-gate:
					case <-time.After(60 * time.Second):
						return
					}
					hdrB := bencode.MustMarshal(pp.ExtendedMetadataRequestMsg{Piece: 0, Type: pp.DataMetadataExtensionMsgType, TotalSize: len(info)})
					// Their ut_metadata id is 1 (ours, from the handshake we got).
					send(append(append([]byte{byte(pp.Extended), 1}, hdrB...), info...))
				}
			})
		}
	})
	return ln.Addr().String()
}

func TestTracker_PauseLeavesAndResumeRejoins(t *testing.T) {
	t.Parallel()
	tr := testnet.StartTracker(t)
	src, root := payload(t, 25, testnet.File{Path: "p.bin", Size: 100_000})
	tor := testnet.Create(t, root, 16<<10, tr.URL)
	s, ih := seed(t, src, tor, swarm.Config{})
	count := func(ev string) int {
		n := 0
		for _, e := range tr.Events() {
			if e == ev {
				n++
			}
		}
		return n
	}
	waitEvents := func(ev string, n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for count(ev) < n {
			if time.Now().After(deadline) {
				t.Fatalf("tracker saw %q %d times, want %d; events %q", ev, count(ev), n, tr.Events())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitEvents("started", 1)
	if err := s.Pause(ih); err != nil {
		t.Fatal(err)
	}
	waitEvents("stopped", 1)
	if tr.Peers(ih) != 0 {
		t.Errorf("paused seed still listed by the tracker")
	}
	if err := s.Resume(ih); err != nil {
		t.Fatal(err)
	}
	waitEvents("started", 2)
}
