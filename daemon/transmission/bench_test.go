package transmission

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/swarm"
)

// manyBackend is a Backend over a fixed snapshot of n small torrents, for
// measuring torrent-get at the scale the issue names (10,000 torrents).
type manyBackend struct {
	snap *swarm.Snapshot
	ids  map[swarm.InfoHash]int
}

func newManyBackend(n int) *manyBackend {
	b := &manyBackend{snap: &swarm.Snapshot{}, ids: make(map[swarm.InfoHash]int, n)}
	for i := range n {
		var ih swarm.InfoHash
		copy(ih[:], fmt.Sprintf("%020d", i))
		b.ids[ih] = i + 1
		b.snap.Torrents = append(b.snap.Torrents, swarm.TorrentSnapshot{
			InfoHash: ih, Name: fmt.Sprintf("torrent-%05d", i), State: swarm.StateSeeding, AddedAt: time.Unix(1.8e9, 0),
			DataDir: "/srv/data", SizeBytes: 1 << 20, WantedBytes: 1 << 20, DoneBytes: 1 << 20, ETA: -1,
			PieceLength: 64 << 10, Pieces: make([]swarm.PieceState, 16),
			Files:    []swarm.FileSnapshot{{Path: "f.bin", SizeBytes: 1 << 20, DoneBytes: 1 << 20}},
			Trackers: []swarm.TrackerSnapshot{{URL: "http://lan:6969/announce", Seeders: 1}},
		})
	}
	return b
}

func (b *manyBackend) Snapshot() *swarm.Snapshot                                 { return b.snap }
func (b *manyBackend) ID(ih swarm.InfoHash) int                                  { return b.ids[ih] }
func (b *manyBackend) Add(context.Context, AddRequest) (Added, error)            { return Added{}, ErrUnsupported }
func (b *manyBackend) Start(swarm.InfoHash) error                                { return nil }
func (b *manyBackend) Stop(swarm.InfoHash) error                                 { return nil }
func (b *manyBackend) Remove(swarm.InfoHash, bool) error                         { return nil }
func (b *manyBackend) Verify(swarm.InfoHash) error                               { return nil }
func (b *manyBackend) SetFilePriority(swarm.InfoHash, int, swarm.Priority) error { return nil }
func (b *manyBackend) SetSequential(swarm.InfoHash, bool) error                  { return nil }
func (b *manyBackend) Limits(swarm.InfoHash) (TorrentLimits, error)              { return TorrentLimits{}, nil }
func (b *manyBackend) UpdateLimits(swarm.InfoHash, func(*TorrentLimits)) error   { return nil }
func (b *manyBackend) Settings() Settings                                        { return Settings{} }
func (b *manyBackend) UpdateSettings(func(*Settings)) error                      { return nil }
func (b *manyBackend) FreeSpace(string) (int64, error)                           { return 0, nil }

// BenchmarkTorrentGet10k answers the web UI's periodic torrent-get (its
// "Stats" fields) for 10,000 torrents, over HTTP as a remote sees it.
func BenchmarkTorrentGet10k(b *testing.B) {
	h, err := New(Config{Backend: newManyBackend(10000)})
	if err != nil {
		b.Fatal(err)
	}
	fields := `["id","error","errorString","eta","isFinished","isStalled","leftUntilDone","metadataPercentComplete",` +
		`"peersConnected","peersGettingFromUs","peersSendingToUs","percentDone","queuePosition","rateDownload",` +
		`"rateUpload","recheckProgress","seedRatioMode","seedRatioLimit","sizeWhenDone","status","trackers",` +
		`"downloadDir","uploadedEver","uploadRatio","webseedsSendingToUs","addedDate","name","totalSize"]`
	body := `{"method":"torrent-get","arguments":{"fields":` + fields + `}}`
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/transmission/rpc", strings.NewReader(body))
		req.Header.Set(SessionIDHeader, h.sessionID)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"torrent-09999"`) {
			b.Fatalf("HTTP %d: %.200s", w.Code, w.Body.String())
		}
	}
}
