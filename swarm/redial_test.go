package swarm_test

import (
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// resetProxy forwards connections to a target and can reset them all, as
// a NAT or middlebox that drops its state does. accepted gets the time of
// every connection it takes.
type resetProxy struct {
	ln       net.Listener
	target   string
	accepted chan time.Time
	mu       sync.Mutex
	conns    []*net.TCPConn
	wg       sync.WaitGroup
}

func startResetProxy(t *testing.T, target string) *resetProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &resetProxy{ln: ln, target: target, accepted: make(chan time.Time, 64)}
	p.wg.Go(p.serve)
	t.Cleanup(func() {
		ln.Close()
		p.reset()
		p.wg.Wait()
	})
	return p
}

func (p *resetProxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted <- time.Now()
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in.(*net.TCPConn), out.(*net.TCPConn))
		p.mu.Unlock()
		for _, dir := range [][2]net.Conn{{in, out}, {out, in}} {
			p.wg.Go(func() {
				io.Copy(dir[0], dir[1])
				dir[0].Close()
				dir[1].Close()
			})
		}
	}
}

// reset closes every connection with an RST (linger 0) on both sides.
func (p *resetProxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.SetLinger(0)
		c.Close()
	}
	p.conns = nil
}

// A seed whose connection is reset mid-transfer is dialled again within a
// bounded time: it had sent good data, so the leecher does not wait out a
// back-off meant for peers that hang up on it (it once waited 10 s). The
// deadline is generous for a loaded machine; no speed is asserted.
func TestRedial_AfterResetMidTransfer(t *testing.T) {
	src := t.TempDir()
	root := testnet.WriteTree(t, filepath.Join(src, "payload"), 61, testnet.File{Path: "a.bin", Size: 8 << 20})
	tor := testnet.Create(t, root, 64<<10)
	s1, ih := seed(t, src, tor, swarm.Config{UpLimitBps: 1 << 20})
	px := startResetProxy(t, s1.Addr().String())
	l := testnet.StartSession(t, swarm.Config{})
	dst := leech(t, l, swarm.AddOptions{Torrent: tor, Peers: []string{px.ln.Addr().String()}})
	select {
	case <-px.accepted:
	case <-time.After(30 * time.Second):
		t.Fatal("the leecher never dialled the seed")
	}
	testnet.WaitFor(t, l, ih, 30*time.Second, "a MiB from the seed", func(ts swarm.TorrentSnapshot) bool {
		return ts.Downloaded >= 1<<20
	})
	for len(px.accepted) > 0 {
		t.Logf("an earlier connection at %v", (<-px.accepted).Format(time.StampMilli))
	}
	resetAt := time.Now()
	px.reset()
	// Well under the 10 s the leecher used to wait, and far over the
	// round trip it should take.
	const limit = 6 * time.Second
	select {
	case at := <-px.accepted:
		t.Logf("dialled again %v after the reset", at.Sub(resetAt))
	case <-time.After(limit):
		t.Fatalf("the seed was not dialled again within %v of the reset", limit)
	}
	testnet.WaitComplete(t, l, ih, 60*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
}
