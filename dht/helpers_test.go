package dht

import (
	"context"
	"crypto/rand"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"
)

// testLogger keeps the library's chatter out of test output unless a test
// fails; warnings and errors still show.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// newNode creates a node on 127.0.0.1:0 that is closed at cleanup; it does
// not Run.
func newNode(t testing.TB, cfg Config) *Node {
	t.Helper()
	if cfg.ListenAddr == "" && cfg.Conn == nil {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// runNode is newNode plus Run until the returned stop is called or the test
// ends; stop waits for Run to return and reports its error.
func runNode(t testing.TB, cfg Config) (*Node, func() error) {
	return runNodeCtx(t, context.Background(), cfg)
}

// runNodeCtx is runNode whose Run also ends when parent is done, so a
// network can stop all its nodes at once.
func runNodeCtx(t testing.TB, parent context.Context, cfg Config) (*Node, func() error) {
	t.Helper()
	n := newNode(t, cfg)
	ctx, cancel := context.WithCancel(parent)
	var (
		wg     sync.WaitGroup
		runErr error
	)
	wg.Go(func() { runErr = n.Run(ctx) })
	var once sync.Once
	stop := func() error {
		once.Do(func() {
			cancel()
			wg.Wait()
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("node %v: Run: %v", n.Addr(), err)
		}
	})
	return n, stop
}

// startNetwork runs size nodes on loopback and waits until each knows at
// least 8 others. They join in batches, as nodes join a real network over
// time, each batch bootstrapping from the first node and two random earlier
// ones: 200 nodes hitting one bootstrap node in the same millisecond under
// the race detector on 2 cores would mostly measure the scheduler.
func startNetwork(t testing.TB, size int, cfg Config) []*Node {
	t.Helper()
	const (
		batch       = 25
		minContacts = 8
	)
	ctx, stopAll := context.WithCancel(context.Background())
	boot, _ := runNodeCtx(t, ctx, cfg)
	nodes := []*Node{boot}
	// Generous: a node whose first bootstrap timed out on a loaded machine
	// retries at 1, 1.5, 2.25 ... s (bootstrapLoop), and in 45 s had only
	// seven tries when a CI-like run under load left one knowing 1 node.
	deadline := time.Now().Add(90 * time.Second)
	for len(nodes) < size {
		joined := len(nodes)
		for range min(batch, size-joined) {
			c := cfg
			c.Bootstrap = []string{boot.Addr().String()}
			for range 2 {
				c.Bootstrap = append(c.Bootstrap, nodes[mrand.IntN(joined)].Addr().String())
			}
			n, _ := runNodeCtx(t, ctx, c)
			nodes = append(nodes, n)
		}
		want := min(minContacts, len(nodes)-1)
		for _, n := range nodes {
			for n.Stats().Nodes < want {
				if time.Now().After(deadline) {
					stopAll()
					t.Fatalf("node %v knows %d others, want %d, with %d nodes up", n.Addr(), n.Stats().Nodes, want, len(nodes))
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	// Registered last, so it runs first: all nodes shut down in parallel
	// before each node's own cleanup waits for its Run.
	t.Cleanup(stopAll)
	settle(t, nodes)
	return nodes
}

// settle waits until the joining burst is over: every node's table
// maintainer refreshes its buckets right after its first bootstrap, which
// on a loaded machine under the race detector can starve replies past the
// query timeout. Lookups are measured in the calm that follows, as on a
// real network.
func settle(t testing.TB, nodes []*Node) {
	t.Helper()
	start := time.Now()
	queries := func() (sum int64) {
		for _, n := range nodes {
			sum += n.screen.queries.Load() // Stats checks every contact: a core at 10,000 nodes
		}
		return sum
	}
	last := queries()
	for time.Since(start) < 30*time.Second {
		time.Sleep(250 * time.Millisecond)
		q := queries()
		if q-last < int64(len(nodes)) { // under 4 queries per node per second
			break
		}
		last = q
	}
	t.Logf("%d nodes settled after %v, %d queries sent", len(nodes), time.Since(start).Round(time.Millisecond), queries())
}

func randomHash() (ih [20]byte) {
	rand.Read(ih[:])
	return ih
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
