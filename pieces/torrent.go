package pieces

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/anacrolix/torrent/bencode"
)

// maxTorrentBytes bounds a whole .torrent: the info dict plus generous room
// for trackers and comments.
const maxTorrentBytes = 2 * MaxInfoBytes

// Torrent is a whole .torrent (or a magnet's info once fetched).
type Torrent struct {
	// InfoHash is the SHA-1 of InfoBytes, the torrent's identity on the
	// wire; for a v2-only torrent, the v2 infohash truncated to 20 bytes.
	InfoHash   [20]byte
	InfoBytes  []byte // the bencoded info dict exactly as hashed (served over ut_metadata)
	Info       *Info
	InfoHashV2 Hash32 // SHA-256 of InfoBytes for a v2 or hybrid torrent; zero for v1
	// PieceLayers maps the root of each file longer than a piece to its
	// piece layer (one hash per piece), each checked against its root. A
	// layer may be missing; HasAllLayers says whether any is.
	PieceLayers  map[Hash32][]Hash32
	Announce     [][]string // tiers (announce + announce-list)
	Comment      string
	CreatedBy    string
	CreationDate time.Time // zero when absent
	WebSeeds     []string  // BEP 19 url-list: usable http(s) URLs only, in order
}

// rawTorrent is a .torrent as bencoded. Fields outside info are advisory, so
// a value of the wrong type is dropped rather than failing the file.
type rawTorrent struct {
	Announce     string            `bencode:"announce,omitempty,ignore_unmarshal_type_error"`
	AnnounceList [][]string        `bencode:"announce-list,omitempty,ignore_unmarshal_type_error"`
	Comment      string            `bencode:"comment,omitempty,ignore_unmarshal_type_error"`
	CreatedBy    string            `bencode:"created by,omitempty,ignore_unmarshal_type_error"`
	CreationDate int64             `bencode:"creation date,omitempty,ignore_unmarshal_type_error"`
	Info         bencode.Bytes     `bencode:"info"`
	URLList      urlList           `bencode:"url-list,omitempty,ignore_unmarshal_type_error"`
	PieceLayers  map[string][]byte `bencode:"piece layers,omitempty"`
}

// Load reads and parses a .torrent file.
func Load(path string) (*Torrent, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTorrentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse decodes and validates a .torrent. Errors wrap ErrBadTorrent, and
// ErrUnsafePath for paths that could escape the download directory.
func Parse(data []byte) (*Torrent, error) {
	if len(data) > maxTorrentBytes {
		return nil, badf("file is over %d bytes", maxTorrentBytes)
	}
	if len(data) == 0 || data[0] != 'd' {
		return nil, badf("not a bencoded dict")
	}
	if err := checkBencode(data, maxBencodeDepth); err != nil {
		return nil, badf("%v", err)
	}
	var rt rawTorrent
	dec := bencode.NewDecoder(bytes.NewReader(data))
	dec.MaxDepth = maxBencodeDepth
	dec.MaxStrLen = maxTorrentBytes
	if err := dec.Decode(&rt); err != nil {
		return nil, badf("%v", err)
	}
	if len(rt.Info) == 0 {
		return nil, badf("no info dict")
	}
	info, err := ParseInfo(rt.Info)
	if err != nil {
		return nil, err
	}
	layers, err := parseLayers(info, rt.PieceLayers)
	if err != nil {
		return nil, err
	}
	t := &Torrent{
		InfoHash:    sha1.Sum(rt.Info),
		InfoBytes:   rt.Info,
		Info:        info,
		PieceLayers: layers,
		Announce:    tiers(rt.Announce, rt.AnnounceList),
		Comment:     rt.Comment,
		CreatedBy:   rt.CreatedBy,
		WebSeeds:    webSeeds(rt.URLList),
	}
	t.setV2()
	if rt.CreationDate > 0 {
		t.CreationDate = time.Unix(rt.CreationDate, 0).UTC()
	}
	return t, nil
}

// FromInfo is the Torrent of an info dict fetched from peers (BEP 9):
// infoBytes exactly as hashed, info as ParseInfo read them. It carries no
// trackers and no piece layers; InfoHash is the SHA-1 of infoBytes, or for
// a v2-only torrent its truncated v2 infohash.
func FromInfo(infoBytes []byte, info *Info) *Torrent {
	t := &Torrent{InfoHash: sha1.Sum(infoBytes), InfoBytes: infoBytes, Info: info}
	t.setV2()
	return t
}

// setV2 fills in the v2 infohash, and the truncated one as the identity of
// a v2-only torrent.
func (t *Torrent) setV2() {
	if !t.Info.HasV2() {
		return
	}
	t.InfoHashV2 = InfoHashV2(t.InfoBytes)
	if !t.Info.HasV1() {
		t.InfoHash = Truncated(t.InfoHashV2)
	}
}

// tiers follows BEP 12: announce-list, when present, replaces announce.
// Empty URLs and tiers are dropped, and so are URLs with control
// characters: no tracker answers at one, and they would garble a terminal
// and break the magnet links made from the torrent.
func tiers(announce string, list [][]string) [][]string {
	var out [][]string
	for _, tier := range list {
		var kept []string
		for _, u := range tier {
			if usableURL(u) {
				kept = append(kept, u)
			}
		}
		if len(kept) > 0 {
			out = append(out, kept)
		}
	}
	if len(out) == 0 && usableURL(announce) {
		out = [][]string{{announce}}
	}
	return out
}

func usableURL(u string) bool { return u != "" && strings.IndexFunc(u, unicode.IsControl) < 0 }

// Bytes encodes t as a .torrent. InfoBytes is embedded verbatim, so the
// infohash survives a Parse/Bytes roundtrip even for non-canonical input.
func (t *Torrent) Bytes() []byte {
	var rt rawTorrent
	rt.Info = t.InfoBytes
	rt.PieceLayers = encodeLayers(t.PieceLayers)
	if tt := tiers("", t.Announce); len(tt) > 0 {
		rt.Announce = tt[0][0]
		if len(tt) > 1 || len(tt[0]) > 1 {
			rt.AnnounceList = tt
		}
	}
	rt.Comment, rt.CreatedBy = t.Comment, t.CreatedBy
	rt.URLList = webSeeds(t.WebSeeds)
	if !t.CreationDate.IsZero() && t.CreationDate.Unix() > 0 {
		rt.CreationDate = t.CreationDate.Unix()
	}
	b, err := bencode.Marshal(rt)
	if err != nil {
		// Only strings, ints and pre-encoded bytes are involved.
		panic(fmt.Sprintf("pieces: encode torrent: %v", err))
	}
	return b
}

// Trackers flattens the announce tiers, first tier first, without repeats.
func (t *Torrent) Trackers() []string {
	var out []string
	seen := map[string]bool{}
	for _, tier := range t.Announce {
		for _, u := range tier {
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	return out
}

// Magnet renders a BEP 9 magnet link with the name, every tracker and the
// given peers (host:port) as x.pe, and the web seeds as ws.
func (t *Torrent) Magnet(peers ...string) string {
	m := Magnet{InfoHash: t.InfoHash, Trackers: t.Trackers(), Peers: peers, WebSeeds: t.WebSeeds}
	if t.Info != nil {
		m.Name = t.Info.Name
		if t.Info.HasV2() {
			m.InfoHashV2, m.V2Only = t.InfoHashV2, !t.Info.HasV1()
		}
	}
	return m.String()
}
