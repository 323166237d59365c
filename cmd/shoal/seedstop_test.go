package main

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

// TestSeed_CtrlCWithin2sWhenNothingAnswers: Ctrl-C on seed --no-tui ends
// it within the README's 2 s even when its tracker accepts connections and
// never answers and its DHT bootstrap node is silent.
func TestSeed_CtrlCWithin2sWhenNothingAnswers(t *testing.T) {
	hole, err := net.Listen("tcp", "127.0.0.1:0") // accepts (the kernel does) and never answers
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset")
	writeTree(t, data, map[string]int{"a.bin": 1 << 20})
	p := shoalStart(t, "seed", data, "--listen", "127.0.0.1:0", "--no-tui", "--state-dir", filepath.Join(dir, "state"),
		"--tracker", "http://"+hole.Addr().String()+"/announce", "--dht-bootstrap", silent.LocalAddr().String(), "--progress-every", "100ms")
	p.waitFor(t, ` seeding `, 30*time.Second)
	time.Sleep(300 * time.Millisecond) // the first announce is under way
	start := time.Now()
	p.stop()
	<-p.done
	took := time.Since(start)
	t.Logf("seed stopped %v after Ctrl-C", took)
	if p.code != 0 || took > 2*time.Second {
		t.Errorf("seed stopped by Ctrl-C: exit %d after %v; want 0 within 2s\n%s", p.code, took, p.err.String())
	}
}
