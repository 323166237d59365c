package swarm_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// BenchmarkTransfer moves a payload (SHOAL_BENCH_MIB, default 256 MiB)
// from one seed to one leecher in-process over loopback; b.SetBytes makes
// the MB/s column the transfer rate.
func BenchmarkTransfer(b *testing.B) {
	mib := 256
	if v, err := strconv.Atoi(os.Getenv("SHOAL_BENCH_MIB")); err == nil && v > 0 {
		mib = v
	}
	// SHOAL_BENCH_DIR (e.g. /dev/shm) takes the disk out of the measurement.
	tmp := b.TempDir
	if d := os.Getenv("SHOAL_BENCH_DIR"); d != "" {
		tmp = func() string {
			p, err := os.MkdirTemp(d, "shoal-bench-")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { os.RemoveAll(p) })
			return p
		}
	}
	src := tmp()
	root := testnet.WriteTree(b, filepath.Join(src, "bench"), 9, testnet.File{Path: "data.bin", Size: mib << 20})
	tor := testnet.Create(b, root, 1<<20)
	quiet := testnet.Logger(b)
	s1 := testnet.StartSession(b, swarm.Config{Logger: quiet, SampleEvery: 200 * time.Millisecond})
	ih, err := s1.Add(context.Background(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(tor.Info.Length)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dst := tmp()
		s2 := testnet.StartSession(b, swarm.Config{Logger: quiet, SampleEvery: 200 * time.Millisecond})
		b.StartTimer()
		if _, err := s2.Add(context.Background(), swarm.AddOptions{Torrent: tor, Dir: dst, Peers: []string{s1.Addr().String()}}); err != nil {
			b.Fatal(err)
		}
		for ev := range s2.Events() {
			if ev.Kind == swarm.EventCompleted && ev.InfoHash == ih {
				break
			}
		}
		b.StopTimer()
		s2.Remove(ih, true)
		b.StartTimer()
	}
}
