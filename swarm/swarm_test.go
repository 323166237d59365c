package swarm_test

import (
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/shoal-bt/shoal/internal/testnet"
	"github.com/shoal-bt/shoal/pieces"
	"github.com/shoal-bt/shoal/swarm"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// seed starts a session seeding the payload at dir/name.
func seed(t *testing.T, dir string, tor *pieces.Torrent, cfg swarm.Config) (*swarm.Session, swarm.InfoHash) {
	t.Helper()
	s := testnet.StartSession(t, cfg)
	ih, err := s.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dir, Trusted: true})
	if err != nil {
		t.Fatal(err)
	}
	return s, ih
}

func TestTransfer_OneSeedOneLeecher(t *testing.T) {
	src := t.TempDir()
	root := testnet.WriteTree(t, filepath.Join(src, "payload"), 1,
		testnet.File{Path: "a.bin", Size: 3<<20 + 123},
		testnet.File{Path: "sub/b.bin", Size: 700_001},
		testnet.File{Path: "sub/empty", Size: 0},
		testnet.File{Path: "sub/deeper/c.bin", Size: 5},
		testnet.File{Path: "ünïcødé/ファイル.txt", Size: 40_000},
	)
	tor := testnet.Create(t, root, 32<<10)
	s1, ih := seed(t, src, tor, swarm.Config{})
	s2 := testnet.StartSession(t, swarm.Config{})
	dst := t.TempDir()
	if _, err := s2.Add(t.Context(), swarm.AddOptions{Torrent: tor, Dir: dst, Peers: []string{s1.Addr().String()}}); err != nil {
		t.Fatal(err)
	}
	ts := testnet.WaitComplete(t, s2, ih, 30*time.Second)
	testnet.SameTree(t, root, filepath.Join(dst, "payload"))
	if ts.Downloaded < tor.Info.Length {
		t.Errorf("downloaded %d < size %d", ts.Downloaded, tor.Info.Length)
	}
	if len(ts.PeerTotals) != 1 || ts.PeerTotals[0].Downloaded < tor.Info.Length {
		t.Errorf("peer totals = %+v", ts.PeerTotals)
	}
}
