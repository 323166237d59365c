package swarm

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shoal-bt/shoal/internal/atomicfile"
	"github.com/shoal-bt/shoal/pieces"
)

// Piece layers from peers (BEP 52). A v2-only torrent has nothing to check
// a piece against but its piece layer, and a btmh magnet's info dict, or a
// .torrent without "piece layers", carries none: each file's root is all
// it has. Before its content opens (so before any block is asked for),
// the loop asks v2 peers (v2conn.go) for each file's
// layer with hash requests: runs of 512 hashes with every uncle up to the
// root (pieces.LayerRequests), each run asked of one peer at a time; a
// file already on disk whose bytes hash to its root gives its layer
// without asking (a seed's .torrent without layers). An
// answer that proves against the root is kept; one that does not bans its
// sender; a reject, a timeout or the peer leaving sends the run to
// another peer; hashes nobody asked that peer for are ignored. Once every
// layer is here they are written to the state dir (a restart reads them
// back instead of asking again), join the torrent's metainfo, so the
// torrent serves them to others, and the content opens.

const (
	// layerAskFor is how long a run may go unanswered before another peer
	// is asked, and how long a peer that rejected or let one time out is
	// not asked for it again.
	layerAskFor = 15 * time.Second
	// layerPerPeer bounds the hash requests one peer has unanswered.
	layerPerPeer = 8
)

// layerFetch is what the loop knows of the layers being fetched.
type layerFetch struct {
	tor    *pieces.Torrent // the info; its PieceLayers stay as given
	magnet bool            // the info came from peers: adopt says so
	files  []*layerFile    // one per distinct root of a file longer than a piece
	path   string          // the saved layers, "" without a state dir
}

// layerFile is one file's piece layer, run by run.
type layerFile struct {
	name   string // for the log and bans
	root   pieces.Hash32
	length int64
	layer  []pieces.Hash32
	runs   []layerRun
}

// layerRun is one hash request and who has it.
type layerRun struct {
	req  pieces.HashRequest
	got  bool
	peer pieces.Peer // asked of, or NoPeer
	at   time.Time   // when asked
	// not are peers that rejected it or let it time out, and when: they
	// are asked again only after layerAskFor.
	not map[pieces.Peer]time.Time
}

func newLayerFetch(tor *pieces.Torrent, magnet bool, path string) *layerFetch {
	f := &layerFetch{tor: tor, magnet: magnet, path: path}
	info, seen := tor.Info, map[pieces.Hash32]bool{}
	for k, fi := range info.Files {
		if fi.Root == nil || fi.Length <= info.PieceLength || seen[pieces.Hash32(fi.Root)] {
			continue
		}
		root := pieces.Hash32(fi.Root)
		seen[root] = true
		lf := &layerFile{name: filePath(info, k), root: root, length: fi.Length,
			layer: tor.PieceLayers[root]}
		if lf.layer == nil {
			lf.layer = make([]pieces.Hash32, (fi.Length+info.PieceLength-1)/info.PieceLength)
			for _, r := range pieces.LayerRequests(root, fi.Length, info.PieceLength) {
				lf.runs = append(lf.runs, layerRun{req: r, peer: pieces.NoPeer})
			}
		}
		f.files = append(f.files, lf)
	}
	return f
}

// progress counts the files whose layer is complete, of how many.
func (f *layerFetch) progress() (done, total int) {
	for _, lf := range f.files {
		if lf.complete() {
			done++
		}
	}
	return done, len(f.files)
}

func (lf *layerFile) complete() bool {
	for _, r := range lf.runs {
		if !r.got {
			return false
		}
	}
	return true
}

// needsLayers: tor is v2-only and lacks the piece layer of a file longer
// than a piece. (A hybrid's pieces are checked by their SHA-1s.)
func needsLayers(tor *pieces.Torrent) bool {
	return tor.Info.HasV2() && !tor.Info.HasV1() && !tor.HasAllLayers()
}

// layersLine is the stall line while layers are fetched. (Every peer of
// a v2-only torrent is a v2 peer: it came by the v2 name.)
func (t *torrent) layersLine() string {
	done, total := t.layers.progress()
	return fmt.Sprintf("%s: %d of %d files", StallPieceLayers, done, total)
}

// layersPathFor is where a torrent's fetched piece layers are kept: a
// .torrent of its info and layers in the state dir, named after the
// infohash.
func layersPathFor(stateDir string, ih InfoHash) string {
	if stateDir == "" {
		return ""
	}
	return filepath.Join(stateDir, hex.EncodeToString(ih[:])+".layers")
}

// fetchLayers starts fetching the piece layers tor lacks; the content
// opens once they are here. A worker first reads the ones a previous run
// saved, then makes those of files on disk whose bytes hash to their
// roots (a seed of a .torrent without layers has them all). On the loop.
func (t *torrent) fetchLayers(tor *pieces.Torrent, magnet bool) {
	t.tor = tor
	f := newLayerFetch(tor, magnet, layersPathFor(t.s.cfg.StateDir, t.ih))
	t.layers = f
	t.log.Info("Fetching piece layers", "files", len(f.files))
	t.publishSnapshot()
	ctx, dir := t.ctx, t.dir
	t.wg.Go(func() {
		saved := loadLayers(f.path, tor)
		if saved == nil {
			saved = map[pieces.Hash32][]pieces.Hash32{}
		}
		for root, layer := range layersOnDisk(ctx, dir, tor) {
			saved[root] = layer
		}
		t.results <- func() { t.layersLoaded(f, saved) }
	})
}

// layersOnDisk makes the piece layers of tor's files that are on disk in
// dir, whole and hashing to their roots (it reads them: as a check would).
func layersOnDisk(ctx context.Context, dir string, tor *pieces.Torrent) map[pieces.Hash32][]pieces.Hash32 {
	info := tor.Info
	out := map[pieces.Hash32][]pieces.Hash32{}
	for _, fi := range info.Files {
		if len(fi.Root) != len(pieces.Hash32{}) || fi.Length <= info.PieceLength || ctx.Err() != nil {
			continue // empty files, and files of one piece, have no layer to make
		}
		root := pieces.Hash32(fi.Root)
		if out[root] != nil {
			continue
		}
		// Read only: the path was validated with the info; a file the user
		// has not put there is simply not found.
		f, err := os.Open(filepath.Join(append([]string{dir, info.Name}, fi.Path...)...))
		if err != nil {
			continue
		}
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() == fi.Length {
			if layer, _ := pieces.LayerOf(ctx, f, fi.Length, info.PieceLength, root); layer != nil {
				out[root] = layer
			}
		}
		f.Close()
	}
	return out
}

// loadLayers reads the layers saved for tor, nil when there are none or
// they are not tor's (pieces.Parse checks each against its root).
func loadLayers(path string, tor *pieces.Torrent) map[pieces.Hash32][]pieces.Hash32 {
	if path == "" {
		return nil
	}
	saved, err := pieces.Load(path)
	if err != nil || saved.InfoHashV2 != tor.InfoHashV2 {
		return nil
	}
	return saved.PieceLayers
}

func (t *torrent) layersLoaded(f *layerFetch, saved map[pieces.Hash32][]pieces.Hash32) {
	if t.layers != f {
		return
	}
	for _, lf := range f.files {
		if layer := saved[lf.root]; layer != nil && !lf.complete() {
			copy(lf.layer, layer)
			for k := range lf.runs {
				lf.runs[k].got = true
			}
		}
	}
	if t.layersComplete() {
		t.log.Info("Piece layers read from the state dir or made from the data")
		return
	}
	t.askAllLayers()
}

func (t *torrent) askAllLayers() {
	for _, p := range t.peers {
		t.askLayers(p)
	}
}

// askLayers gives p runs nobody is answering, up to layerPerPeer at once;
// peers that do not speak BEP 52 on this connection are not asked
// (v2conn.go).
func (t *torrent) askLayers(p *peer) {
	f := t.layers
	if f == nil || !p.nc.v2 || t.paused {
		return
	}
	now := time.Now()
	out := 0
	for _, lf := range f.files {
		for k := range lf.runs {
			if r := &lf.runs[k]; !r.got && r.peer == p.id {
				out++
			}
		}
	}
	for _, lf := range f.files {
		for k := range lf.runs {
			r := &lf.runs[k]
			if out >= layerPerPeer {
				return
			}
			if r.got || now.Sub(r.not[p.id]) < layerAskFor {
				continue
			}
			if q := t.peers[r.peer]; q != nil {
				if now.Sub(r.at) < layerAskFor {
					continue // asked of a peer that may still answer
				}
				t.log.Debug("Hash request timed out", "peer", q.nc.addr.String(), "file", lf.name, "index", r.req.Index)
				r.refusedBy(q.id, now)
				if q == p {
					out--
					continue
				}
			}
			r.peer, r.at = p.id, now
			out++
			req := r.req.Bytes()
			p.send(func(b []byte) []byte { return appendPayload(b, msgHashRequest, req) })
		}
	}
}

func (r *layerRun) refusedBy(p pieces.Peer, at time.Time) {
	if r.not == nil {
		r.not = map[pieces.Peer]time.Time{}
	}
	r.not[p] = at
	r.peer = pieces.NoPeer
}

// run finds the run of req that p was asked for, nil if none: an answer
// nobody asked p for.
func (f *layerFetch) run(p pieces.Peer, req pieces.HashRequest) (*layerFile, *layerRun) {
	for _, lf := range f.files {
		if lf.root != req.Root {
			continue
		}
		for k := range lf.runs {
			if r := &lf.runs[k]; r.req == req && r.peer == p && !r.got {
				return lf, r
			}
		}
	}
	return nil, nil
}

// handleHashes takes a hashes message: the answer to a run we asked p for
// is checked against its file's root; anything else is ignored.
func (t *torrent) handleHashes(p *peer, m message) error {
	req, hs, err := pieces.ParseHashes(m.Payload)
	if err != nil {
		return violation("hashes: %v", err)
	}
	if lc := t.leafCheckFor(p.id, req); lc != nil {
		t.leavesArrived(p, lc, hs)
		return nil
	}
	var lf *layerFile
	var r *layerRun
	if t.layers != nil {
		lf, r = t.layers.run(p.id, req)
	}
	if r == nil {
		t.log.Debug("Hashes not asked for; ignored", "peer", p.nc.addr.String(), "baseLayer", req.BaseLayer, "index", req.Index)
		return nil
	}
	info := t.layers.tor.Info
	got, err := pieces.VerifyHashes(req, hs, lf.root, lf.length, info.PieceLength)
	if err != nil || len(got) != min(int(req.Length), len(lf.layer)-int(req.Index)) {
		r.peer = pieces.NoPeer
		t.ban(peerIdent{addr: p.nc.addr, peerID: p.nc.peerID},
			fmt.Sprintf("sent piece layer hashes of %s that do not prove its root (%v)", lf.name, err))
		t.askAllLayers()
		return nil
	}
	copy(lf.layer[req.Index:], got)
	r.got = true
	t.publishSnapshot()
	if !t.layersComplete() {
		t.askLayers(p)
	}
	return nil
}

// handleHashReject takes a hash reject: a run we asked p for goes to
// another peer.
func (t *torrent) handleHashReject(p *peer, m message) error {
	req, err := pieces.ParseHashRequest(m.Payload)
	if err != nil {
		return violation("hash reject: %v", err)
	}
	if lc := t.leafCheckFor(p.id, req); lc != nil {
		lc.refusedBy(p.id, time.Now())
		t.askLeaves(lc)
		return nil
	}
	if t.layers == nil {
		return nil
	}
	if lf, r := t.layers.run(p.id, req); r != nil {
		t.log.Debug("Hash request rejected", "peer", p.nc.addr.String(), "file", lf.name, "index", req.Index)
		r.refusedBy(p.id, time.Now())
		t.askAllLayers()
	}
	return nil
}

// layersComplete opens the content once every layer is here, and saves
// them on a worker; false while some are missing.
func (t *torrent) layersComplete() bool {
	f := t.layers
	layers := make(map[pieces.Hash32][]pieces.Hash32, len(f.files))
	for _, lf := range f.files {
		if !lf.complete() {
			return false
		}
		layers[lf.root] = lf.layer
	}
	// A copy: the .torrent given to Add is the caller's, maybe read
	// meanwhile (the daemon's library encodes it).
	tor := *f.tor
	tor.PieceLayers = layers
	t.layers = nil
	if !tor.HasAllLayers() {
		t.fail(fmt.Errorf("piece layers: %w", pieces.ErrMissingLayers)) // a broken invariant of newLayerFetch
		return true
	}
	t.log.Info("Piece layers complete", "files", len(f.files))
	if f.path != "" {
		b := tor.Bytes()
		log := t.log
		t.wg.Go(func() {
			err := os.MkdirAll(filepath.Dir(f.path), 0o755)
			if err == nil {
				err = atomicfile.Write(f.path, b, 0o644, false)
			}
			if err != nil {
				log.Warn("Saving the piece layers failed; a restart fetches them again", "err", err)
			}
		})
	}
	t.beginOpen(&tor, t.opts.Force, false, f.magnet, nil)
	return true
}
