package tracker

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// TestInterop_Aria2 has two aria2c processes exchange a file through the
// tracker alone (no DHT, LPD or PEX), through all access checks: the
// torrent is on the allow-list and each client has its own passkey, one in
// the path and one in the query. (aria2 1.36 speaks UDP to trackers only
// with its DHT on, so both announce over HTTP.)
func TestInterop_Aria2(t *testing.T) {
	aria2, err := exec.LookPath("aria2c")
	if err != nil {
		t.Skip("aria2c not installed (apt-get install -y aria2): skipping the aria2 interop test")
	}
	dir := t.TempDir()
	seedDir, leechDir, torrents := filepath.Join(dir, "seed"), filepath.Join(dir, "leech"), filepath.Join(dir, "torrents")
	for _, d := range []string{seedDir, leechDir, torrents} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	payload := make([]byte, 300<<10+123)
	_, _ = rand.Read(payload)
	if err := os.WriteFile(filepath.Join(seedDir, "payload.bin"), payload, 0o644); err != nil {
		t.Fatal(err)
	}
	info := metainfo.Info{PieceLength: 32 << 10}
	if err := info.BuildFromFilePath(filepath.Join(seedDir, "payload.bin")); err != nil {
		t.Fatal(err)
	}
	private := true
	info.Private = &private
	infoBytes, err := bencode.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "passkeys")
	writeFile(t, keys, "seed-key lab seeder\nleech-key\n")
	s := startServer(t, Config{TorrentsDir: torrents, PasskeysFile: keys, NoRateLimit: true, ReloadEvery: 20 * time.Millisecond})
	writeMeta := func(path, announce string) {
		mi := metainfo.MetaInfo{InfoBytes: infoBytes, Announce: announce}
		var buf bytes.Buffer
		if err := mi.Write(&buf); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, buf.String())
	}
	seedTorrent, leechTorrent := filepath.Join(torrents, "payload.torrent"), filepath.Join(dir, "payload-leech.torrent")
	writeMeta(seedTorrent, httpURL(s, "/announce/seed-key"))
	writeMeta(leechTorrent, httpURL(s, "/announce?passkey=leech-key"))
	ih := InfoHash(metainfo.HashBytes(infoBytes))
	waitFor(t, func() bool { _, ok := s.acc.list().allowed[ih]; return ok })

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	common := []string{"--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
		"--disable-ipv6=true", "--bt-external-ip=127.0.0.1", "--file-allocation=none", "--summary-interval=0",
		"--console-log-level=warn", "--check-certificate=false", "--no-conf=true", "--bt-tracker-connect-timeout=5",
		"--bt-tracker-timeout=5"}
	seeder := exec.CommandContext(ctx, aria2, append(common, "--dir="+seedDir, "--check-integrity=true", "--seed-ratio=0.0",
		"--listen-port="+freePort(t), seedTorrent)...)
	var seedLog bytes.Buffer
	seeder.Stdout, seeder.Stderr = &seedLog, &seedLog
	if err := seeder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = seeder.Process.Kill()
		_ = seeder.Wait()
		if t.Failed() {
			t.Logf("seeder output:\n%s", seedLog.String())
		}
	})
	// The leecher can only find the seeder through us, so wait for the
	// seeder's announce first.
	deadline := time.Now().Add(20 * time.Second)
	for seeders(s, ih) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the aria2c seeder never announced; output:\n%s", seedLog.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	leecher := exec.CommandContext(ctx, aria2, append(common, "--dir="+leechDir, "--seed-time=0",
		"--listen-port="+freePort(t), leechTorrent)...)
	out, err := leecher.CombinedOutput()
	if err != nil {
		t.Fatalf("aria2c leecher: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(leechDir, "payload.bin"))
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("downloaded %d bytes (%v), want the %d-byte payload byte for byte", len(got), err, len(payload))
	}
	var st SwarmStats
	s.Swarms(func(x SwarmStats) {
		if x.InfoHash == ih {
			st = x
		}
	})
	if st.Completed != 1 {
		t.Errorf("completed count %d after one download; swarm %+v", st.Completed, st)
	}
	if !strings.Contains(getBody(t, httpURL(s, "/")), "payload.bin") {
		t.Error("status page does not name the torrent")
	}
}

func seeders(s *Server, ih InfoHash) int {
	n := 0
	s.Swarms(func(st SwarmStats) {
		if st.InfoHash == ih {
			n = st.Seeders
		}
	})
	return n
}

// freePort picks a port for a child process to listen on. It can race with
// other processes, which on a test machine is unlikely enough.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}
