// Command trackerload is the load generator of bench/tracker.sh: it fills a
// tracker with torrents × peers over UDP and measures announces per second
// over UDP and over HTTP with keep-alive connections. It speaks the wire
// protocols itself (BEP 3, BEP 15) so that it measures any tracker, shoal's
// or opentracker, the same way, and it spends little CPU per request so the
// tracker on the same machine gets most of it.
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.mode, "mode", "udp", "hashes (print the infohashes as hex), probe (wait until the tracker accepts torrent 0 over HTTP), fill, udp or http")
	flag.StringVar(&o.addr, "addr", "127.0.0.1:6969", "tracker host:port")
	flag.IntVar(&o.torrents, "torrents", 100_000, "number of torrents")
	flag.IntVar(&o.peers, "peers", 10, "peers per torrent")
	flag.IntVar(&o.workers, "workers", 16, "concurrent sockets")
	flag.IntVar(&o.window, "window", 32, "UDP requests in flight per socket")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long udp and http modes run")
	flag.BoolVar(&o.closeConns, "close", false, "http mode: ask for Connection: close, one TCP connection per announce")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "trackerload:", err)
		os.Exit(1)
	}
}

type options struct {
	mode, addr                       string
	torrents, peers, workers, window int
	duration                         time.Duration
	closeConns                       bool
}

func run(o options) error {
	switch o.mode {
	case "hashes":
		for i := range o.torrents {
			ih := infoHash(i)
			fmt.Printf("%x\n", ih[:])
		}
		return nil
	case "probe":
		return probe(o)
	case "fill":
		start := time.Now()
		n, err := fill(o)
		fmt.Printf("mode=fill announced=%d wanted=%d seconds=%.1f\n", n, o.torrents*o.peers, time.Since(start).Seconds())
		return err
	case "udp", "http":
		var r result
		var err error
		if o.mode == "udp" {
			r, err = loadUDP(o)
		} else {
			r, err = loadHTTP(o)
		}
		fmt.Printf("mode=%s answers=%d errors=%d lost=%d reconnects=%d seconds=%.1f rate=%.0f/s\n",
			o.mode, r.answers, r.errors, r.lost, r.reconnects, r.elapsed.Seconds(), float64(r.answers)/r.elapsed.Seconds())
		return err
	}
	return fmt.Errorf("unknown -mode %q", o.mode)
}

type result struct {
	answers, errors, lost, reconnects int64
	elapsed                           time.Duration
}

// runWorkers runs o.workers copies of work until o.duration passes and sums
// what they counted; the first error any worker hit is returned with it.
func runWorkers(o options, work func(w int, deadline time.Time, r *result) error) (result, error) {
	var (
		mu       sync.Mutex
		sum      result
		firstErr error
		wg       sync.WaitGroup
	)
	deadline := time.Now().Add(o.duration)
	start := time.Now()
	for w := range o.workers {
		wg.Go(func() {
			var r result
			err := work(w, deadline, &r)
			mu.Lock()
			defer mu.Unlock()
			sum.answers += r.answers
			sum.errors += r.errors
			sum.lost += r.lost
			sum.reconnects += r.reconnects
			if err != nil && firstErr == nil {
				firstErr = err
			}
		})
	}
	wg.Wait()
	sum.elapsed = time.Since(start)
	return sum, firstErr
}

// infoHash is torrent i's infohash: spread over all bytes, as real ones are,
// so trackers that shard by a prefix see an even load.
func infoHash(i int) [20]byte {
	var ih [20]byte
	x := uint64(i)
	for k := 0; k < 20; k += 8 {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		for b := 0; b < 8 && k+b < 20; b++ {
			ih[k+b] = byte(z >> (8 * b))
		}
	}
	return ih
}

// peerPort is peer j's port; all peers come from 127.0.0.1, and trackers
// key peers by address and port.
func peerPort(j int) uint16 { return uint16(1024 + j%64000) }
