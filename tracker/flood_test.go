package tracker

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dialerFrom dials from ip (a loopback alias such as 127.0.0.2), skipping the
// test when the host cannot: Linux routes all of 127.0.0.0/8 to lo.
func dialerFrom(t *testing.T, s *Server, ip string) *net.Dialer {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", s.HTTPAddr().String())
	if err != nil {
		t.Skipf("cannot dial from %s on this host (%v): the test needs loopback aliases, as Linux has", ip, err)
	}
	c.Close()
	return d
}

// TestServer_HTTPFloodFromOneAddress is issue 10's lock-out: one client
// (127.0.0.2) opens 4,096 connections, sends `GET /x` on half of them again
// and again, keeps the other half silent, and reopens whatever the tracker
// closes. Meanwhile an honest client (127.0.0.3) announces on a new
// connection every 200 ms: each announce must be answered within 1 s, and
// the flooder must never hold more than its share of connections.
//
// The flooder is another process (this test binary, re-run as
// TestHelperHTTPFlood), as an attacker would be: in this one, its 4,096
// goroutines would queue ahead of the tracker's on the Go scheduler.
func TestServer_HTTPFloodFromOneAddress(t *testing.T) {
	s := startServer(t, Config{UDPAddr: Off})
	dialerFrom(t, s, "127.0.0.2")
	honestDial := dialerFrom(t, s, "127.0.0.3")
	cfg := s.Config()
	if cfg.MaxHTTPConnsPerIP*8 > cfg.MaxHTTPConns {
		t.Fatalf("one address may hold %d of %d connections: not a small share", cfg.MaxHTTPConnsPerIP, cfg.MaxHTTPConns)
	}

	const floodConns, floodFor = 4096, 8 * time.Second
	flood := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperHTTPFlood$", "-test.v")
	flood.Env = append(os.Environ(), fmt.Sprintf("SHOAL_TRACKER_FLOOD=%s 127.0.0.2 %d %s", s.HTTPAddr(), floodConns, floodFor))
	out, err := flood.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	flood.Stderr = t.Output()
	if err := flood.Start(); err != nil {
		t.Fatal(err)
	}
	floodDone := make(chan struct{})
	var floodLog strings.Builder
	go func() {
		defer close(floodDone)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "FLOOD "); ok {
				floodLog.WriteString(line)
			}
		}
		_ = flood.Wait()
	}()
	// Honest announces start once the flood holds what it can.
	floodIP := netip.MustParseAddr("127.0.0.2")
	for deadline := time.Now().Add(floodFor); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if heldFrom(s, floodIP) >= min(floodConns, cfg.MaxHTTPConnsPerIP) {
			break
		}
	}

	honest := &http.Client{Timeout: time.Second, Transport: &http.Transport{DialContext: honestDial.DialContext, DisableKeepAlives: true}}
	q := AnnounceRequest{InfoHash: ihOf("honest"), PeerID: peerIDOf(1), Port: 9001, Left: 1, NumWant: -1, Compact: true}.Query()
	var tries, failed, most int
	var worst time.Duration
	flooding := func() bool {
		select {
		case <-floodDone:
			return false
		default:
			return true
		}
	}
	for flooding() {
		most = max(most, heldFrom(s, floodIP))
		tries++
		start := time.Now()
		err := getAnnounce(honest, httpURL(s, "/announce?"+q))
		d := time.Since(start)
		if err != nil {
			// The flood's end may cut the last try short; anything else fails.
			if flooding() {
				failed++
				t.Errorf("honest announce %d during the flood: %v after %v", tries, err, d.Round(time.Millisecond))
			}
			continue
		}
		worst = max(worst, d)
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("flood: %s, at most %d held at once from 127.0.0.2; honest: %d announces, %d failed, slowest %v",
		floodLog.String(), most, tries, failed, worst.Round(time.Millisecond))
	if tries < 5 {
		t.Errorf("only %d honest announces tried during the flood", tries)
	}
	if most > cfg.MaxHTTPConnsPerIP {
		t.Errorf("the flooder held %d connections at once, more than its %d", most, cfg.MaxHTTPConnsPerIP)
	}
}

func heldFrom(s *Server, ip netip.Addr) int {
	_, n := s.guard.open(ip)
	return n
}

// TestHelperHTTPFlood is the flooder of TestServer_HTTPFloodFromOneAddress,
// run in its own process; it does nothing in a normal test run.
func TestHelperHTTPFlood(t *testing.T) {
	spec := os.Getenv("SHOAL_TRACKER_FLOOD")
	if spec == "" {
		t.Skip("the flooder of TestServer_HTTPFloodFromOneAddress, run by it")
	}
	var addr, from, durs string
	var n int
	if _, err := fmt.Sscanf(spec, "%s %s %d %s", &addr, &from, &n, &durs); err != nil {
		t.Fatalf("SHOAL_TRACKER_FLOOD=%q: %v", spec, err)
	}
	dur, err := time.ParseDuration(durs)
	if err != nil {
		t.Fatal(err)
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	ctx, stop := context.WithTimeout(t.Context(), dur) // the flood stops by itself
	defer stop()
	var dials atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { floodOne(ctx, d, addr, i%2 == 0, &dials) })
	}
	wg.Wait()
	fmt.Printf("FLOOD %d connections opened in %v\n", dials.Load(), dur)
}

// floodOne keeps one connection open until ctx ends, reopening it when the
// tracker closes it. A talker sends `GET /x` every 300 ms; a silent one
// sends half a request and nothing more.
func floodOne(ctx context.Context, d *net.Dialer, addr string, talker bool, dials *atomic.Int64) {
	for ctx.Err() == nil {
		c, err := d.DialContext(ctx, "tcp", addr)
		dials.Add(1)
		if err != nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		stop := context.AfterFunc(ctx, func() { c.Close() })
		if talker {
			br := bufio.NewReader(c)
			for ctx.Err() == nil {
				if _, err := io.WriteString(c, "GET /x HTTP/1.1\r\nHost: tracker\r\n\r\n"); err != nil {
					break
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					break
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.Close {
					break
				}
				select {
				case <-ctx.Done():
				case <-time.After(300 * time.Millisecond):
				}
			}
		} else {
			_, _ = io.WriteString(c, "GET /announce HTTP/1.1\r\n")
			_, _ = io.Copy(io.Discard, c) // until the tracker (or ctx) closes it
		}
		stop()
		c.Close()
	}
}

func getAnnounce(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "interval") {
		return fmt.Errorf("%s: %q", resp.Status, b)
	}
	return nil
}

// TestServer_SilentConnectionsClosed: a connection that has not sent a
// whole request within a few seconds is closed.
func TestServer_SilentConnectionsClosed(t *testing.T) {
	s := startServer(t, Config{UDPAddr: Off})
	for _, tt := range []struct{ name, send string }{
		{"nothing", ""},
		{"half a request", "GET /announce?info_hash=aaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: x\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", s.HTTPAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			_, _ = io.WriteString(c, tt.send)
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, _ = io.Copy(io.Discard, c)
			// "A few seconds": the header timeout, with room for a loaded machine.
			if d := time.Since(start); d > httpHeaderTimeout+1500*time.Millisecond {
				t.Errorf("closed after %v, want about %v", d.Round(time.Millisecond), httpHeaderTimeout)
			}
		})
	}
}

// TestServer_EveryRequestIsRateLimited: unknown paths, the status page and
// /metrics cost tokens as announces do, and a client out of budget is told
// so and its connection closed.
func TestServer_EveryRequestIsRateLimited(t *testing.T) {
	s := startServer(t, Config{UDPAddr: Off, RatePerIP: 0.01, BurstPerIP: 3})
	for _, path := range []string{"/x", "/", "/metrics"} {
		resp, err := http.Get(httpURL(s, path))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	q := AnnounceRequest{InfoHash: ihOf("late"), PeerID: peerIDOf(1), Port: 9002, Left: 1, NumWant: -1, Compact: true}.Query()
	if r := getBencode(t, httpURL(s, "/announce?"+q)); r.FailureReason != "rate limited: slow down" {
		t.Errorf("announce after 3 other requests with burst 3: failure reason %q, want rate limited", r.FailureReason)
	}
	for _, path := range []string{"/x", "/", "/metrics"} {
		resp, err := http.Get(httpURL(s, path))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "100" || !resp.Close {
			t.Errorf("GET %s over budget: %s, Retry-After %q, close %v; want 429, 100, close",
				path, resp.Status, resp.Header.Get("Retry-After"), resp.Close)
		}
	}
}

// TestServer_FullTrackerClosesWaitingConns: when every connection slot is
// taken (here by four addresses holding silent connections, each within its
// share), a new client gets in at once: the connection that has waited
// longest without a request is closed for it.
func TestServer_FullTrackerClosesWaitingConns(t *testing.T) {
	s := startServer(t, Config{UDPAddr: Off, MaxHTTPConns: 16, MaxHTTPConnsPerIP: 4})
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	var dialers []*net.Dialer
	for _, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.9"} {
		dialers = append(dialers, dialerFrom(t, s, ip))
	}
	// dialerFrom's probes must be gone before the slots are filled.
	waitFor(t, func() bool { n, _ := s.guard.open(netip.Addr{}); return n == 0 })
	for _, d := range dialers[:4] {
		for range 4 {
			c, err := d.Dial("tcp", s.HTTPAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, c)
		}
	}
	waitFor(t, func() bool { n, _ := s.guard.open(netip.Addr{}); return n == 16 })
	honest := &http.Client{Timeout: time.Second, Transport: &http.Transport{DialContext: dialers[4].DialContext, DisableKeepAlives: true}}
	q := AnnounceRequest{InfoHash: ihOf("full"), PeerID: peerIDOf(1), Port: 9003, Left: 1, NumWant: -1, Compact: true}.Query()
	if err := getAnnounce(honest, httpURL(s, "/announce?"+q)); err != nil {
		t.Fatalf("announce with every slot held by silent connections: %v", err)
	}
	if n := s.guard.evictedFull.Load(); n == 0 {
		t.Error("no waiting connection was closed to make room")
	}
}
