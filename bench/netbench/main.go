//go:build linux

// Command netbench measures shoal over emulated real networks: every peer
// sits behind a Toxiproxy proxy on loopback that adds latency, caps
// bandwidth or resets connections, and a static tracker hands out only the
// proxies' addresses. Each scenario prints shoal's figures next to the
// one-TCP-flow limit measured through a proxy with the same toxics.
// 'make bench' runs it (bench/run.sh); it prints figures and asserts none.
// NETBENCH_DEBUG=1 also prints scenario 1's proxy chunk size, scenario 2's
// MiB/s per seed every 500 ms, and scenario 3's timeline (resets,
// connections and MiB/s per 250 ms).
//
// Toxiproxy runs in this process as a library (github.com/Shopify/toxiproxy/v2):
// this kernel has no netem, so latency and rates per connection on loopback
// come from a user-space proxy, and as a library it needs no daemon and
// lets this program add its own toxics (a shared uplink, a byte meter).
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	shoal := flag.String("shoal", "bin/shoal", "the shoal binary")
	mib := flag.Int64("size", envInt("BENCH_NET_MIB", 256), "payload of scenarios 1-3 in MiB ($BENCH_NET_MIB)")
	swarmMiB := flag.Int64("swarm-size", envInt("BENCH_SWARM_MIB", 64), "payload of scenario 4 in MiB ($BENCH_SWARM_MIB)")
	leechers := flag.Int("leechers", int(envInt("BENCH_SWARM_LEECHERS", 50)), "leechers in scenario 4 ($BENCH_SWARM_LEECHERS)")
	only := flag.String("scenarios", "1,2,3,4,4s", "which scenarios to run (4s: scenario 4 with the seed super-seeding, BEP 16)")
	commit := flag.String("commit", "unknown", "the commit measured, for the figures' tags")
	rtt := flag.Duration("rtt", 100*time.Millisecond, "scenario 1's round-trip time (0: the proxy alone, to see what CPU allows)")
	flag.Parse()

	dir, err := os.MkdirTemp("", "shoal-netbench-*")
	check(err)
	defer os.RemoveAll(dir)
	tr, err := newTracker()
	check(err)
	defer tr.Close()
	b := &bench{shoal: *shoal, dir: dir, tracker: tr, tag: fmt.Sprintf("[commit %s, settle 0s]", *commit), rtt: *rtt}
	fmt.Printf("Every peer behind its own Toxiproxy proxy on 127.0.0.1; one-flow limit: one TCP connection\n" +
		"through a proxy with the same toxics, from a process that writes as fast as the kernel takes it.\n")

	for _, s := range strings.Split(*only, ",") {
		switch strings.TrimSpace(s) {
		case "1", "2", "3":
			if b.torrent == "" || b.size != *mib<<20 {
				check(b.makeTorrent("net", *mib<<20))
			}
		case "4", "4s":
			if b.torrent == "" || b.size != *swarmMiB<<20 {
				check(b.makeTorrent("swarm", *swarmMiB<<20))
			}
		}
		switch strings.TrimSpace(s) {
		case "1":
			b.oneSeedRTT()
		case "2":
			b.unevenSeeds()
		case "3":
			b.resets()
		case "4":
			b.swarm(*leechers, false)
		case "4s":
			b.swarm(*leechers, true)
		}
	}
}

type bench struct {
	shoal   string
	dir     string
	tracker *tracker
	tag     string
	rtt     time.Duration // scenario 1's
	super   bool          // seeds start with --super-seed (scenario 4s)

	torrent string // the current payload's
	data    string
	size    int64
}

// makeTorrent writes a payload of size bytes in two files and a private
// torrent of it (private: no PEX, DHT or LSD, so no connection bypasses the
// proxies) that announces to the static tracker.
func (b *bench) makeTorrent(name string, size int64) error {
	b.data = filepath.Join(b.dir, name+"-data")
	payload := filepath.Join(b.data, "payload")
	if err := os.MkdirAll(payload, 0o755); err != nil {
		return err
	}
	rng := rand.NewChaCha8([32]byte{'n', 'e', 't'})
	for i, n := range []int64{size * 3 / 4, size - size*3/4} {
		f, err := os.Create(filepath.Join(payload, fmt.Sprintf("part%d.bin", i)))
		if err != nil {
			return err
		}
		_, err = io.CopyN(f, rng, n)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	b.torrent = filepath.Join(b.dir, name+".torrent")
	b.size = size
	out, err := exec.Command(b.shoal, "create", payload, "-o", b.torrent, "--force", "--private", "--tracker", b.tracker.url).CombinedOutput()
	if err != nil {
		return fmt.Errorf("shoal create: %w: %s", err, out)
	}
	fmt.Printf("\npayload: %d MiB (%s)\n", size>>20, name)
	return nil
}

func envInt(name string, def int64) int64 {
	var v int64
	if _, err := fmt.Sscan(os.Getenv(name), &v); err == nil && v > 0 {
		return v
	}
	return def
}

func mibps(bytes int64, d time.Duration) float64 { return float64(bytes) / (1 << 20) / d.Seconds() }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "netbench:", err)
		os.Exit(1)
	}
}
