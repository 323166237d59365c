package daemon

import (
	"testing"

	"github.com/shoal-bt/shoal/daemon/transmission"
	"github.com/shoal-bt/shoal/swarm"
)

// Transmission's torrent-set limits and seed ratio modes land in the
// torrent's settings and read back the same.
func TestTransmissionLimits_RoundTrip(t *testing.T) {
	dir := t.TempDir()
	d, _ := newTestDaemon(t, dir, HTTPAuth{})
	tor := makeTorrent(t, dir, "tr")
	if _, err := d.Add(t.Context(), AddRequest{Metainfo: tor.Bytes(), Dir: dir}, Local); err != nil {
		t.Fatal(err)
	}
	ih := swarm.InfoHash(tor.InfoHash)
	b := d.TransmissionBackend()
	for _, want := range []transmission.TorrentLimits{
		{DownLimitBps: 50 << 10, SeedRatio: 1.5, SeedRatioMode: transmission.RatioOwn},
		{UpLimitBps: 10 << 10, SeedRatioMode: transmission.RatioUnlimited},
		{},
	} {
		if err := b.UpdateLimits(ih, func(l *transmission.TorrentLimits) { *l = want }); err != nil {
			t.Fatalf("UpdateLimits(%+v): %v", want, err)
		}
		if got, err := b.Limits(ih); err != nil || got != want {
			t.Errorf("Limits after setting %+v: %+v, %v", want, got, err)
		}
	}
	if err := b.UpdateLimits(ih, func(l *transmission.TorrentLimits) { l.SeedRatioMode = transmission.RatioOwn }); err == nil {
		t.Error("an own ratio limit of 0 was taken")
	}
}
