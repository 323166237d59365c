//go:build linux

package swarm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/netns"
	"github.com/shoal-bt/shoal/pieces"
)

// TestLSD_Netns runs LSD over real multicast, inside two network namespaces
// the test makes (internal/netns), never in the host's: this test binary
// re-runs itself under ip netns exec as a seeder (nsA), a sniffer and a
// leecher (nsB). The leecher knows only an infohash, and there is no
// tracker and no DHT; the sniffer checks what goes on the wire (the public
// torrent is a hybrid: the seeder announces both its names). It runs with
// IPv4 and IPv6, then with IPv6 alone.
func TestLSD_Netns(t *testing.T) {
	t.Run("IPv4+IPv6", func(t *testing.T) { testLSDNetns(t, false) })
	t.Run("IPv6 only", func(t *testing.T) { testLSDNetns(t, true) })
}

func testLSDNetns(t *testing.T, v6only bool) {
	nsA, nsB := netns.Pair(t)
	if v6only {
		nsA.IP(t, "-4", "addr", "flush", "dev", netns.Dev)
		nsB.IP(t, "-4", "addr", "flush", "dev", netns.Dev)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	src := t.TempDir()
	pub := seedFile(t, src, "pub.bin", 1<<20+77, false, pieces.FormatHybrid)
	priv := seedFile(t, src, "priv.bin", 50_000, true, pieces.FormatV1)

	sniff := startChild(ctx, t, nsB, "sniff", nil)
	sniff.expect(t, "ready")
	seed := startChild(ctx, t, nsA, "seed", []string{"SHOAL_LSD_DIR=" + src,
		"SHOAL_LSD_TORRENTS=" + pub.path + "," + priv.path})
	seed.expect(t, "ready")
	// The seeder's first announces show its sockets have joined the groups,
	// so the leecher's announce cannot be missed.
	seen := map[string]bool{}
	seederKeys := []string{nsA.Addr6.String() + " " + pub.hex, nsA.Addr6.String() + " " + pub.hexV2}
	if !v6only {
		seederKeys = append(seederKeys, nsA.Addr.String()+" "+pub.hex, nsA.Addr.String()+" "+pub.hexV2)
	}
	for !allSeen(seen, seederKeys) {
		addLSDLine(seen, sniff.expect(t, "lsd "))
	}
	dst := t.TempDir()
	get := startChild(ctx, t, nsB, "get", []string{"SHOAL_LSD_DIR=" + dst, "SHOAL_LSD_IH=" + pub.hex})
	t.Logf("leecher %s", get.expect(t, "done"))
	if err := get.cmd.Wait(); err != nil {
		t.Fatalf("leecher: %v\n%s", err, get.stderr.Bytes())
	}
	want, _ := os.ReadFile(filepath.Join(src, "pub.bin"))
	got, err := os.ReadFile(filepath.Join(dst, "pub.bin"))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("leecher has %d bytes (%v), want the %d seeded", len(got), err, len(want))
	}

	seed.stop(t)
	for _, l := range sniff.stop(t) {
		addLSDLine(seen, l)
	}
	// IPv6 sends with multicast loopback off, so the sniffer beside the
	// leecher hears only its IPv4 announce.
	if k := nsB.Addr.String() + " " + pub.hex; !v6only && !seen[k] {
		t.Errorf("the leecher's announce was not seen: %v", seen)
	}
	for k := range seen {
		if strings.HasSuffix(k, priv.hex) {
			t.Errorf("private torrent announced: %s", k)
		}
		if v6only && !strings.Contains(k, ":") {
			t.Errorf("IPv4 announce without IPv4: %s", k)
		}
	}
}

func allSeen(seen map[string]bool, keys []string) bool {
	for _, k := range keys {
		if !seen[k] {
			return false
		}
	}
	return true
}

// addLSDLine records "lsd SRC IH..." as "SRC IH" keys.
func addLSDLine(seen map[string]bool, line string) {
	f := strings.Fields(line)
	if len(f) < 3 || f[0] != "lsd" {
		return
	}
	for _, ih := range f[2:] {
		seen[f[1]+" "+ih] = true
	}
}

// seeded is a torrent file and its infohash in hex; hexV2 is its
// truncated v2 infohash, for a hybrid.
type seeded struct{ path, hex, hexV2 string }

func seedFile(t *testing.T, dir, name string, size int, private bool, format pieces.Format) seeded {
	t.Helper()
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i*7 + i>>11)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
	made, err := pieces.Create(t.Context(), filepath.Join(dir, name), pieces.CreateOptions{PieceLength: 32 << 10, Private: private, Format: format})
	if err != nil {
		t.Fatal(err)
	}
	tor, err := pieces.Parse(made.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name+".torrent")
	if err := os.WriteFile(p, tor.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sd := seeded{path: p, hex: hex.EncodeToString(tor.InfoHash[:])}
	if tor.Info.HasV2() {
		v2 := pieces.Truncated(tor.InfoHashV2)
		sd.hexV2 = hex.EncodeToString(v2[:])
	}
	return sd
}

type child struct {
	mode   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr bytes.Buffer
}

func startChild(ctx context.Context, t *testing.T, ns *netns.NS, mode string, env []string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{mode: mode, lines: make(chan string, 256)}
	c.cmd = ns.Command(ctx, exe, "-test.run=^TestLSDNetnsChild$", "-test.count=1", "-test.timeout=30s")
	c.cmd.Env = append(append(os.Environ(), "SHOAL_LSD_CHILD="+mode), env...)
	c.cmd.Stderr = &c.stderr
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l, ok := strings.CutPrefix(sc.Text(), "LSDCHILD "); ok {
				c.lines <- l
			}
		}
	}()
	t.Cleanup(func() {
		c.stdin.Close()
		c.cmd.Process.Kill()
		c.cmd.Wait()
		if t.Failed() {
			t.Logf("%s child stderr:\n%s", mode, c.stderr.Bytes())
		}
	})
	return c
}

// expect returns the next line starting with prefix, failing the test if
// the child ends or 15 s pass first.
func (c *child) expect(t *testing.T, prefix string) string {
	t.Helper()
	tm := time.NewTimer(15 * time.Second)
	defer tm.Stop()
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatalf("child %v ended before %q", c.mode, prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-tm.C:
			t.Fatalf("child %v: no %q in time", c.mode, prefix)
		}
	}
}

// stop closes the child's stdin, which ends it, and returns the lines it
// printed meanwhile.
func (c *child) stop(t *testing.T) []string {
	c.stdin.Close()
	var rest []string
	for l := range c.lines {
		rest = append(rest, l)
	}
	if err := c.cmd.Wait(); err != nil {
		t.Errorf("child %v: %v\n%s", c.mode, err, c.stderr.Bytes())
	}
	return rest
}

// TestLSDNetnsChild is TestLSD_Netns's child process, inside a namespace.
func TestLSDNetnsChild(t *testing.T) {
	mode := os.Getenv("SHOAL_LSD_CHILD")
	if mode == "" {
		t.Skip("a helper process of TestLSD_Netns")
	}
	// LSD is bound to netns.Dev, which only exists in the test's namespaces:
	// run anywhere else, it would fail rather than multicast on the host.
	if _, err := net.InterfaceByName(netns.Dev); err != nil {
		t.Fatalf("not in a test namespace: %v", err)
	}
	say := func(format string, args ...any) { fmt.Printf("LSDCHILD "+format+"\n", args...) }
	// The parent ends the sniffer and the seeder by closing their stdin.
	stdinClosed := make(chan struct{})
	if mode != "get" {
		go func() { io.Copy(io.Discard, os.Stdin); close(stdinClosed) }()
	}

	if mode == "sniff" {
		var wg sync.WaitGroup
		for _, g := range []string{lsdGroup4, lsdGroup6} {
			network := map[string]string{lsdGroup4: "udp4", lsdGroup6: "udp6"}[g]
			c, err := net.ListenMulticastUDP(network, mustIface(t), net.UDPAddrFromAddrPort(netip.MustParseAddrPort(g)))
			if err != nil {
				t.Logf("sniff %s: %v", g, err) // IPv4 is absent in the IPv6-only run
				continue
			}
			go func() { <-stdinClosed; c.Close() }()
			wg.Go(func() { sniffLSD(c, say) })
		}
		say("ready")
		wg.Wait()
		return
	}

	s, err := New(Config{ListenAddr: ":0", LSD: true, LSDInterface: netns.Dev, SampleEvery: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(ctx) }()
	defer func() { cancel(); <-runDone }()

	switch mode {
	case "seed":
		for _, p := range strings.Split(os.Getenv("SHOAL_LSD_TORRENTS"), ",") {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			tor, err := pieces.Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Add(ctx, AddOptions{Torrent: tor, Dir: os.Getenv("SHOAL_LSD_DIR"), Trusted: true}); err != nil {
				t.Fatal(err)
			}
		}
		say("ready")
		select {
		case <-stdinClosed:
		case <-time.After(25 * time.Second):
		}
	case "get":
		var ih InfoHash
		if _, err := hex.Decode(ih[:], []byte(os.Getenv("SHOAL_LSD_IH"))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Add(ctx, AddOptions{Magnet: &pieces.Magnet{InfoHash: ih}, Dir: os.Getenv("SHOAL_LSD_DIR")}); err != nil {
			t.Fatal(err)
		}
		ts := waitState(t, s, ih, 15*time.Second, func(ts TorrentSnapshot) bool { return ts.State == StateSeeding })
		say("done %+v", ts.Sources)
	default:
		t.Fatalf("unknown mode %q", mode)
	}
}

func sniffLSD(c *net.UDPConn, say func(string, ...any)) {
	buf := make([]byte, 2048)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		m, err := parseLSD(buf[:n])
		if err != nil {
			say("bad %q", buf[:n])
			continue
		}
		var ihs []string
		for _, ih := range m.InfoHashes {
			ihs = append(ihs, hex.EncodeToString(ih[:]))
		}
		say("lsd %s %s", from.Addr().Unmap().WithZone(""), strings.Join(ihs, " "))
	}
}

func mustIface(t *testing.T) *net.Interface {
	ifi, err := net.InterfaceByName(netns.Dev)
	if err != nil {
		t.Fatal(err)
	}
	return ifi
}
