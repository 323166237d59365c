package main

import (
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSeed_SilentFloodDoesNotStarveHonestPeer: a seed limited to 1,024
// descriptors is flooded from 127.0.0.2 with 1,200 connections that never
// send a handshake, re-opened as soon as the seed closes them. A `shoal
// get` from 127.0.0.3 must still download everything while the flood runs,
// well inside the 20 s an un-handshaked connection used to be kept (when
// the flood took every descriptor, so nothing honest got in until then).
func TestSeed_SilentFloodDoesNotStarveHonestPeer(t *testing.T) {
	bin := shoalBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	fastPayload(t, data, map[string]int{"f.bin": 4 << 20, "g.bin": 100_000})
	seed := startChild(t, "/bin/sh", "-c", fmt.Sprintf("ulimit -n 1024 && exec %s seed %s --listen 127.0.0.1:0 --json --no-dht --state-dir %s",
		bin, data, filepath.Join(dir, "seed-state")))
	var addr, torrentPath string
	for deadline := time.Now().Add(60 * time.Second); addr == "" || torrentPath == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("seed not listening:\n%s", seed.output())
		}
		addr, torrentPath = jsonField(seed.output(), "listen"), jsonField(seed.output(), "torrent")
	}

	const flooders = 1200
	var (
		stop              = make(chan struct{})
		wg                sync.WaitGroup
		open, opened, cut atomic.Int64
	)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 2 * time.Second}
	for range flooders {
		wg.Go(func() {
			buf := make([]byte, 1)
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := d.Dial("tcp", addr)
				if err != nil {
					time.Sleep(200 * time.Millisecond)
					continue
				}
				open.Add(1)
				opened.Add(1)
				for { // silent: wait for the seed to give up on us, or the end
					c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
					if _, err := c.Read(buf); err != nil {
						if ne, ok := err.(net.Error); ok && ne.Timeout() {
							select {
							case <-stop:
							default:
								continue
							}
						} else {
							cut.Add(1)
						}
					}
					break
				}
				c.Close()
				open.Add(-1)
				time.Sleep(200 * time.Millisecond)
			}
		})
	}
	t.Cleanup(func() { close(stop); wg.Wait() })
	for deadline := time.Now().Add(10 * time.Second); opened.Load() < flooders && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("flood: %d connections opened, %d open now", opened.Load(), open.Load())

	out := t.TempDir()
	get := startChild(t, bin, "get", torrentPath, "-o", out, "--listen", "127.0.0.3:0", "--peer", addr, "--no-dht",
		"--json", "--state-dir", filepath.Join(dir, "get-state"))
	select {
	case <-get.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("the honest download did not finish while the flood ran (%d flood connections open, %d cut by the seed):\n%s",
			open.Load(), cut.Load(), get.output())
	}
	if get.err != nil {
		t.Fatalf("get: %v\n%s", get.err, get.output())
	}
	sameTree(t, data, filepath.Join(out, "dataset"))
	t.Logf("flood: %d connections opened in all, %d cut by the seed, %d open at the end", opened.Load(), cut.Load(), open.Load())
	stopChild(t, seed)
}
