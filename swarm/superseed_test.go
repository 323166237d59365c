package swarm_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/swarm"
)

// uploadLedger counts, per 16 KiB block of the payload, how often a
// session read it to upload, and notes the first block read twice while
// some block was never read.
type uploadLedger struct {
	mu       sync.Mutex
	pieceLen int
	count    []int
	unsent   int
	early    string // the first repeat before every block went out once
	bytes    int64
}

func newUploadLedger(size int64, pieceLen int) *uploadLedger {
	n := int((size + 16<<10 - 1) / (16 << 10))
	return &uploadLedger{pieceLen: pieceLen, count: make([]int, n), unsent: n}
}

func (l *uploadLedger) add(piece, begin, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bytes += int64(n)
	off := piece*l.pieceLen + begin
	for k := off / (16 << 10); k <= (off+n-1)/(16<<10); k++ {
		l.count[k]++
		switch {
		case l.count[k] == 1:
			l.unsent--
		case l.unsent > 0 && l.early == "":
			l.early = fmt.Sprintf("block %d (piece %d) went out again while %d blocks never had", k, k*(16<<10)/l.pieceLen, l.unsent)
		}
	}
}

// A super-seed (BEP 16) with four leechers that know each other: every
// leecher gets every byte, and the seed uploads no block twice before it
// uploaded every block once, so the leechers got the rest from each other.
// A normal seed breaks this at once: each leecher asks it for whatever it
// lacks, whoever else has it.
func TestSuperSeed_UploadsEachPieceOnceFirst(t *testing.T) {
	const pieceLen = 32 << 10
	src, root := payload(t, 161, testnet.File{Path: "a.bin", Size: 40*pieceLen + 4321}, testnet.File{Path: "b.bin", Size: 20*pieceLen - 77})
	tor := testnet.Create(t, root, pieceLen)
	seedS := testnet.StartSession(t, swarm.Config{})
	ledger := newUploadLedger(tor.Info.Length, pieceLen)
	swarm.SetUploadHook(seedS, ledger.add)
	ih, err := seedS.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: src, Trusted: true, SuperSeed: true})
	if err != nil {
		t.Fatal(err)
	}

	const n = 4
	var leechers []*swarm.Session
	var addrs []string
	for range n {
		s := testnet.StartSession(t, swarm.Config{})
		leechers = append(leechers, s)
		addrs = append(addrs, s.Addr().String())
	}
	dirs := make([]string, n)
	for k, s := range leechers {
		peers := []string{seedS.Addr().String()}
		for j, a := range addrs {
			if j != k {
				peers = append(peers, a)
			}
		}
		dirs[k] = leech(t, s, swarm.AddOptions{Torrent: tor, Peers: peers})
	}
	for k, s := range leechers {
		testnet.WaitComplete(t, s, ih, 120*time.Second)
		testnet.SameTree(t, root, filepath.Join(dirs[k], "payload"))
	}

	ledger.mu.Lock()
	defer ledger.mu.Unlock()
	if ledger.early != "" {
		t.Errorf("the super-seed sent a block twice before sending every block: %s", ledger.early)
	}
	if ledger.unsent != 0 {
		t.Errorf("%d blocks never went out from the seed, yet every leecher completed", ledger.unsent)
	}
	t.Logf("the seed uploaded %.2f copies of %d bytes", float64(ledger.bytes)/float64(tor.Info.Length), tor.Info.Length)
}
