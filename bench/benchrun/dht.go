//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/shoal-bt/shoal/dht"
)

// dhtMagnet measures what a user of a magnet link waits for on a 200-node
// DHT: from starting 'shoal get' with only the infohash to the metadata and
// to the first verified piece. The DHT nodes run in this process; the seed
// and the leecher are shoal processes that each know two of them.
func (b *bench) dhtMagnet(torrent, payload string, runs int) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var nodes []*dht.Node
	start := time.Now()
	for len(nodes) < 200 {
		joined := len(nodes)
		for range min(max(joined, 1), 25, 200-joined) {
			cfg := dht.Config{ListenAddr: "127.0.0.1:0", Logger: quiet}
			if joined > 0 {
				for _, i := range []int{0, rand.IntN(joined), rand.IntN(joined)} {
					cfg.Bootstrap = append(cfg.Bootstrap, nodes[i].Addr().String())
				}
			}
			n, err := dht.New(cfg)
			check(err)
			wg.Go(func() { n.Run(ctx) })
			nodes = append(nodes, n)
		}
		for _, n := range nodes {
			for n.Stats().Nodes < min(8, len(nodes)-1) && time.Since(start) < time.Minute {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	pick := func() []string {
		return []string{"--dht-bootstrap", nodes[rand.IntN(200)].Addr().String(), "--dht-bootstrap", nodes[rand.IntN(200)].Addr().String()}
	}
	fmt.Printf("%-22s %d nodes joined in %.1fs\n", "DHT:", len(nodes), time.Since(start).Seconds())

	data := filepath.Join(b.dir, "dht-seed")
	check(linkTree(payload, filepath.Join(data, "payload")))
	seed := exec.Command(b.shoal, append([]string{"seed", torrent, "--data", data, "--listen", "127.0.0.1:0", "--no-tui",
		"--progress-every", "200ms", "--state-dir", filepath.Join(b.dir, "dht-seed-state")}, pick()...)...)
	startSeed(seed)
	defer func() { seed.Process.Signal(os.Interrupt); seed.Wait() }()
	ih := infohashOf(torrent)

	var toMeta, toPiece []time.Duration
	for i := range runs {
		out := filepath.Join(b.dir, fmt.Sprintf("dht-leech%d", i))
		cmd := exec.Command(b.shoal, append([]string{"get", "magnet:?xt=urn:btih:" + ih, "-o", out, "--listen", "127.0.0.1:0",
			"--no-tui", "--json", "--progress-every", "50ms", "--state-dir", out + "-state"}, pick()...)...)
		r, err := cmd.StdoutPipe()
		check(err)
		began := time.Now()
		check(cmd.Start())
		var meta, piece time.Duration
		timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Signal(os.Interrupt) })
		var last string
		sc := bufio.NewScanner(r)
		for sc.Scan() && piece == 0 {
			last = sc.Text()
			var ev struct {
				Type, Event string
				DoneBytes   int64
			}
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			if meta == 0 && ev.Event == "metadata" {
				meta = time.Since(began)
			}
			if ev.DoneBytes > 0 || ev.Event == "completed" {
				piece = time.Since(began)
			}
		}
		timer.Stop()
		if piece == 0 {
			fmt.Fprintf(os.Stderr, "benchrun: no piece within 30s; last line: %s\n", last)
		}
		cmd.Process.Signal(os.Interrupt)
		io.Copy(io.Discard, r)
		cmd.Wait()
		os.RemoveAll(out)
		toMeta, toPiece = append(toMeta, meta), append(toPiece, piece)
	}
	fmt.Printf("%-22s metadata in %s; first piece seen in %s  %s\n"+
		"%-22s (%d runs; from process start; pieces are seen through 500 ms snapshots,\n"+
		"%-22s so that figure is late by up to 500 ms)\n",
		"magnet via 200-node DHT:", durations(toMeta), durations(toPiece), b.tag(0), "", runs, "")
}

func durations(ds []time.Duration) string {
	var s []string
	for _, d := range ds {
		s = append(s, fmt.Sprintf("%.0fms", d.Seconds()*1000))
	}
	return strings.Join(s, " ")
}

func infohashOf(torrent string) string {
	out, err := exec.Command(shoalBin, "info", "--json", torrent).Output()
	check(err)
	var v struct{ Infohash string }
	check(json.Unmarshal(out, &v))
	return v.Infohash
}

var shoalBin string
