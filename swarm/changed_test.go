package swarm_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

// Files changed behind a seed's back: changed bytes are never served,
// pieces that still match are offered again after a re-check, the others
// stay missing without shoal writing over the user's file, and a restart
// catches an edit that kept the size and mtime with BLAKE3.

const changedPieceLen = 16 << 10

// waitEvent reads the session's events until match holds.
func waitEvent(t *testing.T, s *swarm.Session, timeout time.Duration, what string, match func(swarm.Event) bool) swarm.Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev := <-s.Events():
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no event %s in %v", what, timeout)
		}
	}
}

func dataChanged(substr string) func(swarm.Event) bool {
	return func(ev swarm.Event) bool {
		return ev.Kind == swarm.EventDataChanged && strings.Contains(ev.Msg, substr)
	}
}

func fileSnap(ts swarm.TorrentSnapshot, name string) swarm.FileSnapshot {
	for _, f := range ts.Files {
		if filepath.Base(f.Path) == name {
			return f
		}
	}
	return swarm.FileSnapshot{}
}

// backdate gives path an old mtime, so that any later write moves it
// however coarse the kernel's clock.
func backdate(t *testing.T, path string) time.Time {
	t.Helper()
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	return old
}

// rawLeecher is a fast-extension peer on the raw wire that checks no hash:
// whatever bytes the seed sends, it sees.
type rawLeecher struct {
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string, ih swarm.InfoHash) *rawLeecher {
	t.Helper()
	c := rawHandshake(t, addr, ih, resvFast, "-XX0001-rawleecher01")
	l := &rawLeecher{c: c, r: bufio.NewReader(c)}
	if _, err := io.ReadFull(l.r, make([]byte, 68)); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	return l
}

func (l *rawLeecher) send(t *testing.T, typ pp.MessageType, payload []byte) {
	t.Helper()
	b := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)))
	if _, err := l.c.Write(append(append(b, byte(typ)), payload...)); err != nil {
		t.Fatal(err)
	}
}

func (l *rawLeecher) read(t *testing.T) (pp.MessageType, []byte) {
	t.Helper()
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(l.r, hdr[:]); err != nil {
			t.Fatalf("read: %v", err)
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n == 0 {
			continue
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(l.r, b); err != nil {
			t.Fatalf("read: %v", err)
		}
		return pp.MessageType(b[0]), b[1:]
	}
}

// round requests every piece in [first, end) (pieces of one block) and
// returns how many were rejected; each block sent must be want's bytes.
func (l *rawLeecher) round(t *testing.T, info *pieces.Info, first, end int, want []byte) (rejected int) {
	t.Helper()
	for i := first; i < end; i++ {
		var req []byte
		req = binary.BigEndian.AppendUint32(req, uint32(i))
		req = binary.BigEndian.AppendUint32(req, 0)
		req = binary.BigEndian.AppendUint32(req, uint32(info.PieceSize(i)))
		l.send(t, pp.Request, req)
	}
	for answered := 0; answered < end-first; {
		typ, b := l.read(t)
		switch typ {
		case pp.Reject:
			rejected++
			answered++
		case pp.Piece:
			i := int(binary.BigEndian.Uint32(b))
			off := info.PieceOffset(i)
			if !bytes.Equal(b[8:], want[off:off+info.PieceSize(i)]) {
				t.Fatalf("piece %d: the seed sent bytes that are not the verified ones", i)
			}
			answered++
		}
	}
	return rejected
}

// TestSeed_ChangedWhileServingNeverSent: a peer reading a file while it is
// rewritten again and again in the seed's folder only ever gets the
// original bytes, or rejects; the seed withdraws the file at once (well
// before its periodic stat), keeps the peer, and its re-check finds every
// piece changed.
func TestSeed_ChangedWhileServingNeverSent(t *testing.T) {
	swarm.SetRecheckRetry(20 * time.Millisecond)
	t.Cleanup(func() { swarm.SetRecheckRetry(time.Second) })
	src, root := payload(t, 41, testnet.File{Path: "keep.bin", Size: 3 * changedPieceLen}, testnet.File{Path: "edit.bin", Size: 16 * changedPieceLen})
	edit := filepath.Join(root, "edit.bin")
	backdate(t, edit)
	tor := testnet.Create(t, root, changedPieceLen)
	orig := must(os.ReadFile(edit))
	stream := streamOf(t, root, tor.Info)
	s, ih := seed(t, src, tor, swarm.Config{})
	testnet.WaitComplete(t, s, ih, 5*time.Second)

	l := dialRaw(t, s.Addr().String(), ih)
	l.send(t, pp.Interested, nil)
	for {
		if typ, _ := l.read(t); typ == pp.Unchoke {
			break
		}
	}
	info := tor.Info
	ek, kk := fileIndex(t, info, "edit.bin"), fileIndex(t, info, "keep.bin")
	first, end := info.PiecesOf(ek)
	if r := l.round(t, info, 0, info.NumPieces(), stream); r != 0 {
		t.Fatalf("%d rejects before any change", r)
	}

	// Rewrite the file in place, every byte different each time, while
	// the peer keeps asking for it.
	done := make(chan struct{})
	go func() {
		defer close(done)
		f, err := os.OpenFile(edit, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		b := make([]byte, len(orig))
		for k := 1; k <= 20; k++ {
			for j := range b {
				b[j] = orig[j] ^ byte(k)
			}
			if _, err := f.WriteAt(b, 0); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for rounds := 0; ; rounds++ {
		rejected := l.round(t, info, first, end, stream)
		if closed(done) && rejected == end-first {
			break
		}
		if rounds > 10_000 {
			t.Fatal("the changed file is still served")
		}
	}
	ev := waitEvent(t, s, 10*time.Second, "about the re-check", dataChanged("no longer match"))
	if want := fmt.Sprintf("%d of %d pieces", end-first, end-first); !strings.Contains(ev.Msg, want) {
		t.Errorf("event %q; want %q", ev.Msg, want)
	}
	// Still connected, still served the file that did not change.
	kf, ke := info.PiecesOf(kk)
	if r := l.round(t, info, kf, ke, stream); r != 0 {
		t.Errorf("%d rejects for keep.bin", r)
	}
	if r := l.round(t, info, first, end, stream); r != end-first {
		t.Errorf("%d of %d pieces of the edited file rejected after its re-check", r, end-first)
	}
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// rewrite writes b over path in place (no truncation, as a program that
// patches a file does) and sets its mtime.
func rewrite(t *testing.T, path string, b []byte, mtime time.Time) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// fileIndex finds a file of info by base name (Create sorts files).
func fileIndex(t *testing.T, info *pieces.Info, name string) int {
	t.Helper()
	for k, f := range info.Files {
		if len(f.Path) > 0 && f.Path[len(f.Path)-1] == name {
			return k
		}
	}
	t.Fatalf("no file %s", name)
	return -1
}

// streamOf is the torrent's bytes as read from root.
func streamOf(t *testing.T, root string, info *pieces.Info) []byte {
	t.Helper()
	var b []byte
	for _, f := range info.Files {
		b = append(b, must(os.ReadFile(filepath.Join(root, filepath.Join(f.Path...))))...)
	}
	return b
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestSeed_ChangedFileRechecked: after an edit of two pieces' bytes the seed
// offers the file's other pieces again, never writes the user's file, and
// says what happened; a leecher gets the two pieces from another seed. When
// the file is changed back, every piece is offered again.
func TestSeed_ChangedFileRechecked(t *testing.T) {
	swarm.SetStampCheckEvery(50 * time.Millisecond)
	t.Cleanup(func() { swarm.SetStampCheckEvery(10 * time.Second) })
	files := []testnet.File{{Path: "keep.bin", Size: 100_000}, {Path: "edit.bin", Size: 8 * changedPieceLen}}
	src, root := payload(t, 31, files...)
	honestSrc, honestRoot := payload(t, 31, files...)
	edit := filepath.Join(root, "edit.bin")
	backdate(t, edit)
	tor := testnet.Create(t, root, changedPieceLen)
	info := tor.Info
	s, ih := seed(t, src, tor, swarm.Config{})
	testnet.WaitComplete(t, s, ih, 5*time.Second)

	orig := must(os.ReadFile(edit))
	edited := bytes.Clone(orig)
	for _, at := range []int{20_000, 100_000} { // in two pieces of edit.bin
		edited[at] ^= 0xff
	}
	rewrite(t, edit, edited, time.Now().Add(time.Minute))
	ek := fileIndex(t, info, "edit.bin")
	first, end := info.PiecesOf(ek)
	ev := waitEvent(t, s, 10*time.Second, "about the re-check", dataChanged("no longer match"))
	want := fmt.Sprintf("payload/edit.bin changed on disk: 2 of %d pieces no longer match; not re-downloading over your edit", end-first)
	if ev.Msg != want {
		t.Errorf("event %q; want %q", ev.Msg, want)
	}
	ts, _ := testnet.Find(s, ih)
	lost := map[int]bool{int((info.Files[ek].Offset + 20_000) / changedPieceLen): true, int((info.Files[ek].Offset + 100_000) / changedPieceLen): true}
	for i := range info.NumPieces() {
		if w := map[bool]swarm.PieceState{true: swarm.PieceSkipped, false: swarm.PieceDone}[lost[i]]; ts.Pieces[i] != w {
			t.Errorf("piece %d: %v, want %v", i, ts.Pieces[i], w)
		}
	}
	if ts.State != swarm.StateSeeding || !strings.Contains(ts.Stalled, "2 of") || fileSnap(ts, "keep.bin").DoneBytes != 100_000 {
		t.Errorf("snapshot: state %v, stalled %q, keep.bin %+v", ts.State, ts.Stalled, fileSnap(ts, "keep.bin"))
	}

	// A leecher of both seeds ends with the original bytes; the edited
	// seed serves what still matches and writes nothing.
	honest, _ := seed(t, honestSrc, tor, swarm.Config{UpLimitBps: 256 << 10})
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s.Addr().String(), honest.Addr().String()}})
	lt := testnet.WaitComplete(t, l, ih, 30*time.Second)
	testnet.SameTree(t, honestRoot, filepath.Join(dst, "payload"))
	for _, b := range lt.Banned {
		t.Errorf("leecher banned %+v: it was sent bad data", b)
	}
	if got := must(os.ReadFile(edit)); !bytes.Equal(got, edited) {
		t.Error("the seed wrote over the user's edited file")
	}

	// Changed back: all pieces are offered again.
	rewrite(t, edit, orig, time.Now().Add(time.Hour))
	waitEvent(t, s, 10*time.Second, "about the recovery", dataChanged("matches the torrent again"))
	testnet.WaitFor(t, s, ih, 5*time.Second, "every piece offered again", func(ts swarm.TorrentSnapshot) bool {
		return ts.DoneBytes == info.Length && ts.WantedBytes == info.Length && ts.Stalled == ""
	})
}

// TestSeed_RenamedOverNoticed: an editor's save (a new file renamed over the
// old) leaves the seed's descriptor on the old inode; the periodic stat of
// the path still notices, and the re-check reads the new file.
func TestSeed_RenamedOverNoticed(t *testing.T) {
	swarm.SetStampCheckEvery(50 * time.Millisecond)
	t.Cleanup(func() { swarm.SetStampCheckEvery(10 * time.Second) })
	src, root := payload(t, 32, testnet.File{Path: "notes.txt", Size: 5 * changedPieceLen}, testnet.File{Path: "other.bin", Size: 50_000})
	notes := filepath.Join(root, "notes.txt")
	tor := testnet.Create(t, root, changedPieceLen)
	s, ih := seed(t, src, tor, swarm.Config{})
	testnet.WaitComplete(t, s, ih, 5*time.Second)
	// Open the file in the seed: a leecher reads some of it.
	l := testnet.StartSession(t, swarm.Config{})
	leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s.Addr().String()}})
	testnet.WaitComplete(t, l, ih, 30*time.Second)

	b := must(os.ReadFile(notes))
	b[3*changedPieceLen+7] ^= 1
	tmp := notes + ".swp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	os.Chtimes(tmp, later, later)
	if err := os.Rename(tmp, notes); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, s, 10*time.Second, "about the re-check", dataChanged("no longer match"))
	if !strings.Contains(ev.Msg, "notes.txt changed on disk: 1 of 5 pieces") {
		t.Errorf("event %q", ev.Msg)
	}
}

// TestSeed_TouchedFileOfferedAgain: a new mtime on unchanged bytes costs a
// re-check, after which every piece is offered again.
func TestSeed_TouchedFileOfferedAgain(t *testing.T) {
	swarm.SetStampCheckEvery(50 * time.Millisecond)
	t.Cleanup(func() { swarm.SetStampCheckEvery(10 * time.Second) })
	src, root := payload(t, 35, testnet.File{Path: "touched.bin", Size: 6 * changedPieceLen}, testnet.File{Path: "z.bin", Size: 1000})
	tor := testnet.Create(t, root, changedPieceLen)
	s, ih := seed(t, src, tor, swarm.Config{})
	testnet.WaitComplete(t, s, ih, 5*time.Second)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(root, "touched.bin"), later, later); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, s, 10*time.Second, "about the re-check", dataChanged("still match"))
	if want := "payload/touched.bin changed on disk but all 6 pieces still match; offered again"; ev.Msg != want {
		t.Errorf("event %q; want %q", ev.Msg, want)
	}
	testnet.WaitFor(t, s, ih, 5*time.Second, "every piece offered", func(ts swarm.TorrentSnapshot) bool {
		return ts.DoneBytes == tor.Info.Length && ts.Stalled == ""
	})
}

// TestLeecher_CompletedFilesGuarded: a leecher's files are guarded as they
// complete (its own writes never trip the guard), and one edited after the
// download is not served from it.
func TestLeecher_CompletedFilesGuarded(t *testing.T) {
	src, root := payload(t, 36, testnet.File{Path: "a.bin", Size: 10 * changedPieceLen}, testnet.File{Path: "b.bin", Size: 10 * changedPieceLen})
	tor := testnet.Create(t, root, changedPieceLen)
	info := tor.Info
	stream := streamOf(t, root, info)
	s, ih := seed(t, src, tor, swarm.Config{})
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{s.Addr().String()}})
	testnet.WaitComplete(t, l, ih, 30*time.Second)
	for drained := false; !drained; {
		select {
		case ev := <-l.Events():
			if ev.Kind == swarm.EventDataChanged {
				t.Fatalf("the leecher's own writes were taken for a change: %s", ev.Msg)
			}
		default:
			drained = true
		}
	}

	r := dialRaw(t, l.Addr().String(), ih)
	r.send(t, pp.Interested, nil)
	for {
		if typ, _ := r.read(t); typ == pp.Unchoke {
			break
		}
	}
	if n := r.round(t, info, 0, info.NumPieces(), stream); n != 0 {
		t.Fatalf("%d rejects from a complete leecher", n)
	}
	a := filepath.Join(dst, "payload", "a.bin")
	b := must(os.ReadFile(a))
	for k := range b {
		b[k] ^= 0x55
	}
	rewrite(t, a, b, time.Now().Add(time.Hour))
	first, end := info.PiecesOf(fileIndex(t, info, "a.bin"))
	if n := r.round(t, info, first, end, stream); n != end-first {
		t.Errorf("%d of %d pieces of the edited file rejected", n, end-first)
	}
	waitEvent(t, l, 10*time.Second, "about the re-check", dataChanged(fmt.Sprintf("%d of %d pieces no longer match", end-first, end-first)))
	if got := must(os.ReadFile(a)); !bytes.Equal(got, b) {
		t.Error("the leecher wrote over the user's edited file")
	}
}
