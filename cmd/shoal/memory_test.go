package main

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// Memory bounds of the real binary with many peers. The bounds are peak
// RSS (VmHWM) and are stated in the README; each peer costs at most its
// two 256 KiB socket buffers plus requests in flight.
const (
	leecherPeers   = 200
	leecherRSSMiB  = 256
	seedPeers      = 500
	seedRSSMiB     = 384
	memPayloadSize = 64 << 20
)

// peakRSS samples /proc/pid/status until stop is closed and returns the
// largest VmHWM seen, in bytes.
func peakRSS(pid int, stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		for {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			if err == nil {
				for _, l := range strings.Split(string(b), "\n") {
					if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
						if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
							peak = max(peak, kb<<10)
						}
					}
				}
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-tk.C:
			}
		}
	}()
	return out
}

// fastPayload is writeTree for big files: one random MiB, written again
// and again with its position stamped in, so no two pieces are alike and
// the race detector does not slow the writing down.
func fastPayload(t *testing.T, dir string, sizes map[string]int) {
	t.Helper()
	block := make([]byte, 1<<20)
	rand.Read(block)
	for name, n := range sizes {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off < n; off += len(block) {
			binary.BigEndian.PutUint64(block, uint64(off))
			if _, err := f.Write(block[:min(len(block), n-off)]); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func rawHandshake(c net.Conn, ih [20]byte) error {
	var id [20]byte
	copy(id[:], "-XX0001-")
	rand.Read(id[8:])
	reserved := [8]byte{7: 0x04} // fast extension
	hs := append([]byte("\x13BitTorrent protocol"), reserved[:]...)
	hs = append(hs, ih[:]...)
	if _, err := c.Write(append(hs, id[:]...)); err != nil {
		return err
	}
	var reply [68]byte
	_, err := io.ReadFull(c, reply[:])
	return err
}

func rawMsg(typ byte, payload ...uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(1+4*len(payload)))
	b = append(b, typ)
	for _, v := range payload {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

// readMsgs calls fn for each message (type, payload) until an error.
func readMsgs(r *bufio.Reader, fn func(typ byte, p []byte) error) error {
	var hdr [4]byte
	buf := make([]byte, 0, 20<<10)
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return err
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n == 0 {
			continue
		}
		if n > 2<<20 {
			return fmt.Errorf("message of %d bytes", n)
		}
		buf = buf[:n]
		if cap(buf) < int(n) {
			buf = make([]byte, n)
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		if err := fn(buf[0], buf[1:]); err != nil {
			return err
		}
	}
}

// TestMemory_SeedWith500Peers: a seed that 500 leechers hammer with
// requests stays under seedRSSMiB.
func TestMemory_SeedWith500Peers(t *testing.T) {
	bin := shoalBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "payload")
	fastPayload(t, data, map[string]int{"m.bin": memPayloadSize})
	c := startChild(t, bin, "seed", data, "--listen", "127.0.0.1:0", "--json", "--no-dht", "--state-dir", filepath.Join(dir, "state"),
		"--max-peers", strconv.Itoa(seedPeers+50), "--progress-every", "200ms")
	var addr, torrentPath string
	deadline := time.Now().Add(60 * time.Second)
	for addr == "" || torrentPath == "" {
		if time.Now().After(deadline) {
			t.Fatalf("seed not listening:\n%s", c.output())
		}
		addr, torrentPath = jsonField(c.output(), "listen"), jsonField(c.output(), "torrent")
		time.Sleep(20 * time.Millisecond)
	}
	tor, err := pieces.Load(torrentPath)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	peak := peakRSS(c.cmd.Process.Pid, stop)
	var (
		wg        sync.WaitGroup
		connected atomic.Int32
		received  atomic.Int64
	)
	end := time.Now().Add(4 * time.Second)
	for k := range seedPeers {
		wg.Go(func() {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer conn.Close()
			conn.SetDeadline(end)
			if rawHandshake(conn, tor.InfoHash) != nil {
				return
			}
			connected.Add(1)
			conn.Write(append(rawMsg(0x0f), rawMsg(2)...)) // have none, interested
			// Walk the torrent block by block, 16 requests in flight.
			blocks := int((tor.Info.Length + 16<<10 - 1) / (16 << 10))
			next := k * 97 % blocks
			request := func(n int) {
				var b []byte
				for range n {
					off := int64(next) * 16 << 10
					i := off / tor.Info.PieceLength
					begin := off - i*tor.Info.PieceLength
					b = append(b, rawMsg(6, uint32(i), uint32(begin), uint32(min(16<<10, tor.Info.Length-off)))...)
					next = (next + 1) % blocks
				}
				conn.Write(b)
			}
			readMsgs(bufio.NewReader(conn), func(typ byte, p []byte) error {
				switch typ {
				case 1: // unchoke
					request(16)
				case 7: // piece
					received.Add(int64(len(p) - 8))
					request(1)
				}
				return nil
			})
		})
	}
	wg.Wait()
	close(stop)
	rss := <-peak
	stopChild(t, c)
	t.Logf("seed with %d connected peers: peak RSS %d MiB (bound %d MiB); peers received %d MiB", connected.Load(), rss>>20, seedRSSMiB, received.Load()>>20)
	if connected.Load() < seedPeers*9/10 {
		t.Fatalf("only %d of %d peers connected", connected.Load(), seedPeers)
	}
	if received.Load() == 0 {
		t.Fatal("the seed served nothing")
	}
	if rss > seedRSSMiB<<20 {
		t.Errorf("seed peak RSS %d MiB over the %d MiB bound", rss>>20, seedRSSMiB)
	}
}

// TestMemory_LeecherWith200Peers: a leecher fed by 200 slow seeds at once
// stays under leecherRSSMiB and gets the right bytes.
func TestMemory_LeecherWith200Peers(t *testing.T) {
	bin := shoalBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "payload")
	fastPayload(t, data, map[string]int{"m.bin": memPayloadSize})
	torrentPath := filepath.Join(dir, "m.torrent")
	if code, _, stderr := shoalRun(t, "create", data, "-o", torrentPath, "--piece-length", "256KiB"); code != 0 {
		t.Fatalf("create: %s", stderr)
	}
	tor, err := pieces.Load(torrentPath)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := os.ReadFile(filepath.Join(data, "m.bin"))
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	var served atomic.Int64
	for range leecherPeers {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, "--peer", ln.Addr().String())
		var wg sync.WaitGroup
		t.Cleanup(func() { ln.Close(); wg.Wait() })
		wg.Go(func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				wg.Go(func() {
					defer conn.Close()
					conn.SetDeadline(time.Now().Add(2 * time.Minute))
					var hs [68]byte
					if _, err := io.ReadFull(conn, hs[:]); err != nil {
						return
					}
					reply := append([]byte("\x13BitTorrent protocol"), 0, 0, 0, 0, 0, 0, 0, 0x04)
					reply = append(reply, hs[28:48]...)
					id := make([]byte, 20)
					copy(id, "-XX0001-")
					rand.Read(id[8:])
					reply = append(reply, id...)
					conn.Write(append(reply, append(rawMsg(0x0e), rawMsg(1)...)...)) // have all, unchoke
					w := bufio.NewWriter(conn)
					readMsgs(bufio.NewReader(conn), func(typ byte, p []byte) error {
						if typ != 6 || len(p) < 12 {
							return nil
						}
						i, begin, n := binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:]), binary.BigEndian.Uint32(p[8:])
						off := int64(i)*tor.Info.PieceLength + int64(begin)
						if n > 16<<10 || off+int64(n) > int64(len(payload)) {
							return fmt.Errorf("bad request")
						}
						time.Sleep(400 * time.Millisecond) // slow seeds (40 KB/s): all 200 get connected and stay busy
						hdr := binary.BigEndian.AppendUint32(nil, 9+n)
						hdr = append(hdr, 7)
						hdr = binary.BigEndian.AppendUint32(hdr, i)
						hdr = binary.BigEndian.AppendUint32(hdr, begin)
						w.Write(hdr)
						w.Write(payload[off : off+int64(n)])
						served.Add(int64(n))
						return w.Flush()
					})
				})
			}
		})
	}
	out := t.TempDir()
	args := append([]string{"get", torrentPath, "-o", out, "--state-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--json", "--no-dht",
		"--max-peers", strconv.Itoa(leecherPeers + 10), "--progress-every", "200ms"}, addrs...)
	c := startChild(t, bin, args...)
	stop := make(chan struct{})
	peak := peakRSS(c.cmd.Process.Pid, stop)
	maxPeers := int64(0)
	deadline := time.After(90 * time.Second)
wait:
	for {
		select {
		case <-c.done:
			break wait
		case <-deadline:
			t.Fatalf("download not done in 90s:\n%s", c.output())
		case <-time.After(100 * time.Millisecond):
			maxPeers = max(maxPeers, num(c.last("progress"), "peers"))
		}
	}
	close(stop)
	rss := <-peak
	if c.err != nil {
		t.Fatalf("get: %v\n%s", c.err, c.output())
	}
	sameTree(t, data, filepath.Join(out, "payload"))
	t.Logf("leecher with up to %d peers: peak RSS %d MiB (bound %d MiB); %d MiB served", maxPeers, rss>>20, leecherRSSMiB, served.Load()>>20)
	if maxPeers < leecherPeers*8/10 {
		t.Errorf("at most %d peers connected at once, want about %d", maxPeers, leecherPeers)
	}
	if rss > leecherRSSMiB<<20 {
		t.Errorf("leecher peak RSS %d MiB over the %d MiB bound", rss>>20, leecherRSSMiB)
	}
}
