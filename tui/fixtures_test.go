package tui

import (
	"fmt"
	"time"

	"github.com/shoal-bt/shoal/swarm"
)

// t0 is the fixed "now" of every golden: views must never read the clock.
var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return t0 }

func hash(b byte) swarm.InfoHash {
	var ih swarm.InfoHash
	for i := range ih {
		ih[i] = b + byte(i)
	}
	return ih
}

// lcg is a tiny deterministic generator so fixtures look irregular but
// never change between runs.
type lcg uint32

func (r *lcg) next(n int) int {
	*r = *r*1664525 + 1013904223
	return int(uint32(*r)>>8) % n
}

var clients = []string{"shoal 0.1.0", "qBittorrent 5.0.3", "Transmission 4.0.6", "libtorrent 2.0.10", "rain 2.1", ""}

func fixturePeers(n int, seed lcg) []swarm.PeerSnapshot {
	r := seed
	ps := make([]swarm.PeerSnapshot, n)
	for i := range ps {
		ps[i] = swarm.PeerSnapshot{
			Addr:           fmt.Sprintf("10.%d.%d.%d:%d", r.next(4), r.next(256), 1+r.next(254), 6881+r.next(100)),
			Client:         clients[r.next(len(clients))],
			Source:         swarm.Source(r.next(6)),
			Incoming:       r.next(3) == 0,
			Encrypted:      r.next(2) == 0,
			AmChoking:      r.next(3) == 0,
			AmInterested:   r.next(4) != 0,
			PeerChoking:    r.next(3) == 0,
			PeerInterested: r.next(2) == 0,
			Snubbed:        r.next(20) == 0,
			DownBps:        int64(r.next(4)) * int64(r.next(300_000)),
			UpBps:          int64(r.next(3)) * int64(r.next(100_000)),
			Progress:       float64(r.next(101)) / 100,
			RequestsOut:    r.next(40),
			RequestsIn:     r.next(8),
			ConnectedAt:    t0.Add(-time.Duration(r.next(3600)) * time.Second),
		}
	}
	return ps
}

// fixturePieces lays out n pieces: a done prefix, scattered in-flight and
// failed pieces, a skipped tail, and availability falling towards the end.
func fixturePieces(n int, done float64, seed lcg) ([]swarm.PieceState, []uint8) {
	r := seed
	ps := make([]swarm.PieceState, n)
	av := make([]uint8, n)
	for i := range ps {
		switch {
		case i > n*9/10:
			ps[i] = swarm.PieceSkipped
		case float64(i) < done*float64(n)*0.8 || r.next(100) < int(done*30):
			ps[i] = swarm.PieceDone
		case r.next(50) == 0:
			ps[i] = swarm.PieceInFlight
		case r.next(400) == 0:
			ps[i] = swarm.PieceFailed
		}
		av[i] = uint8(max(0, 12-12*i/n-r.next(3)))
	}
	return ps, av
}

func fixtureSnapshot() *swarm.Snapshot {
	pieces, avail := fixturePieces(1889, 0.42, 7)
	ubuntu := swarm.TorrentSnapshot{
		InfoHash:    hash(0x10),
		Name:        "ubuntu-24.04.1-desktop-amd64.iso",
		Magnet:      "magnet:?xt=urn:btih:101112131415161718191a1b1c1d1e1f20212223&dn=ubuntu-24.04.1-desktop-amd64.iso&tr=http%3A%2F%2F192.168.1.2%3A6969%2Fannounce",
		State:       swarm.StateDownloading,
		AddedAt:     t0.Add(-5 * time.Hour),
		DataDir:     "/home/ada/Downloads",
		SizeBytes:   6_203_355_136,
		WantedBytes: 5_583_019_622,
		DoneBytes:   2_344_868_241,
		DownBps:     8_912_345, UpBps: 1_234_567,
		Downloaded: 2_400_000_000, Uploaded: 310_000_000, Wasted: 1 << 20,
		ETA:            6*time.Minute + 3*time.Second,
		PeersConnected: 40, PeersKnown: 212, Seeds: 9,
		PieceLength:  4 << 20,
		Pieces:       pieces,
		Availability: avail,
		Files: []swarm.FileSnapshot{
			{Path: "ubuntu-24.04.1-desktop-amd64.iso", SizeBytes: 6_203_355_136, DoneBytes: 2_344_868_241},
		},
		Peers: fixturePeers(40, 11),
		Banned: []swarm.BannedPeer{
			{Addr: "10.9.8.7:51413", Reason: "sent 3 pieces that failed their hash", At: t0.Add(-4 * time.Minute)},
			{Addr: "10.1.1.9:6881", Reason: "sent a piece we never asked for", At: t0.Add(-65 * time.Second)},
		},
		Trackers: []swarm.TrackerSnapshot{
			{URL: "http://192.168.1.2:6969/announce", LastAnnounce: t0.Add(-90 * time.Second),
				NextAnnounce: t0.Add(28*time.Minute + 30*time.Second), Seeders: 9, Leechers: 31, PeersGot: 40},
			{URL: "udp://192.168.1.3:6969/announce", LastAnnounce: t0.Add(-2 * time.Minute),
				NextAnnounce: t0.Add(3 * time.Minute), LastErr: "read udp: i/o timeout", Seeders: -1, Leechers: -1},
		},
		Sources: swarm.SourceCounts{Tracker: 71, DHT: 96, PEX: 38, LSD: 2, Manual: 1, Incoming: 4},
		WebSeeds: []swarm.WebSeedSnapshot{
			{URL: "https://cdimage.ubuntu.com/releases/24.04.1/", Downloaded: 812_000_000, DownBps: 9_400_000, Requests: 2},
			{URL: "http://mirror.lan/ubuntu/", State: swarm.WebSeedBackoff, Err: "HTTP 503 Service Unavailable",
				RetryAt: t0.Add(8 * time.Second), Downloaded: 4_000_000},
			{URL: "http://old.example/iso/", State: swarm.WebSeedDropped, Err: "ignores Range (answered 200)"},
		},
	}
	photoFiles := []swarm.FileSnapshot{
		{Path: "photos-2025/01-january/IMG_0001.jpg", SizeBytes: 4_512_000, DoneBytes: 4_512_000},
		{Path: "photos-2025/01-january/IMG_0002.jpg", SizeBytes: 3_998_200, DoneBytes: 3_998_200, Priority: swarm.PriorityHigh},
		{Path: "photos-2025/02-february/a-very-long-file-name-from-a-camera-that-likes-them-DSC09876.ARW", SizeBytes: 61_000_000, DoneBytes: 30_500_000},
		{Path: "photos-2025/03-march/raw.tar", SizeBytes: 1_200_000_000, Priority: swarm.PrioritySkip},
		{Path: "photos-2025/README.txt", SizeBytes: 1_024, DoneBytes: 1_024},
		{Path: "photos-2025/empty.txt"}, // complete: nothing to fetch
	}
	photoPieces, photoAvail := fixturePieces(150, 1, 3)
	photos := swarm.TorrentSnapshot{
		InfoHash: hash(0x20), Name: "photos-2025",
		Magnet: "magnet:?xt=urn:btih:202122232425262728292a2b2c2d2e2f30313233&dn=photos-2025",
		State:  swarm.StateSeeding, AddedAt: t0.Add(-3 * time.Hour), DataDir: "/srv/share", Verified: true,
		SizeBytes: 1_269_511_224, WantedBytes: 69_511_224, DoneBytes: 69_511_224,
		UpBps: 512_000, Uploaded: 140_000_000, ETA: 0,
		PeersConnected: 3, PeersKnown: 5, Seeds: 0,
		PieceLength: 8 << 20, Pieces: photoPieces, Availability: photoAvail,
		Files: photoFiles, Peers: fixturePeers(3, 5), Sources: swarm.SourceCounts{LSD: 3, PEX: 2},
	}
	meta := swarm.TorrentSnapshot{
		InfoHash: hash(0x30), Name: "debian-13.2.0-amd64-netinst.iso",
		Magnet: "magnet:?xt=urn:btih:303132333435363738393a3b3c3d3e3f40414243&dn=debian-13.2.0-amd64-netinst.iso",
		State:  swarm.StateMetadata, AddedAt: t0.Add(-2 * time.Minute), ETA: -1,
		Stall:        swarm.StallNoPeers,
		Stalled:      "no peers found yet: the DHT lookup returned nobody and there is no tracker",
		MetadataHave: 0, MetadataTotal: 0,
	}
	paused := swarm.TorrentSnapshot{
		InfoHash: hash(0x40), Name: "linux-6.18.tar.xz", State: swarm.StatePaused,
		Magnet:  "magnet:?xt=urn:btih:404142434445464748494a4b4c4d4e4f50515253&dn=linux-6.18.tar.xz",
		AddedAt: t0.Add(-time.Hour), SizeBytes: 150_000_000, WantedBytes: 150_000_000, DoneBytes: 15_000_000,
		PeersKnown: 14, ETA: -1, PieceLength: 1 << 20,
	}
	stuck := swarm.TorrentSnapshot{
		InfoHash: hash(0x50), Name: "rare-album-flac", State: swarm.StateDownloading,
		AddedAt: t0.Add(-30 * time.Minute), SizeBytes: 412_000_000, WantedBytes: 412_000_000, DoneBytes: 98_000_000,
		PeersConnected: 3, PeersKnown: 3, ETA: -1, PieceLength: 512 << 10,
		Stall:   swarm.StallChoked,
		Stalled: "all 3 peers choke us; waiting to be unchoked",
		Private: true,
	}
	broken := swarm.TorrentSnapshot{
		InfoHash: hash(0x60), Name: "big-dataset", State: swarm.StateError,
		AddedAt: t0.Add(-10 * time.Minute), SizeBytes: 80_000_000_000, WantedBytes: 80_000_000_000,
		DoneBytes: 7_900_000_000, ETA: -1, PieceLength: 16 << 20, DataDir: "/mnt/small",
		Err: "write /mnt/small/big-dataset/part-0007: no space left on device",
	}
	return &swarm.Snapshot{
		Taken:      t0,
		ListenAddr: "0.0.0.0:6881",
		Torrents:   []swarm.TorrentSnapshot{ubuntu, photos, meta, paused, stuck, broken},
		DHT: swarm.DHTSnapshot{Enabled: true, Addr: "0.0.0.0:6881", Nodes: 212, GoodNodes: 180,
			LastLookup: t0.Add(-40 * time.Second), LastLookupPeers: 17},
		DownBps: ubuntu.DownBps, UpBps: ubuntu.UpBps + photos.UpBps,
	}
}

// withRates returns copies of s taken one second apart over the last n
// seconds, with rates that wander, for the history the Rates tab draws.
func withRates(s *swarm.Snapshot, n int) []*swarm.Snapshot {
	out := make([]*swarm.Snapshot, n)
	r := lcg(42)
	for i := range out {
		c := *s
		c.Taken = t0.Add(time.Duration(i-n+1) * time.Second)
		c.Torrents = append([]swarm.TorrentSnapshot(nil), s.Torrents...)
		if i < n-1 {
			tt := &c.Torrents[0]
			ramp := int64(min(i, 60))
			tt.DownBps = ramp*150_000 + int64(r.next(2_000_000))
			tt.UpBps = ramp*20_000 + int64(r.next(300_000))
			c.DownBps, c.UpBps = 0, 0
			for _, t := range c.Torrents {
				c.DownBps += t.DownBps
				c.UpBps += t.UpBps
			}
		}
		out[i] = &c
	}
	return out
}
