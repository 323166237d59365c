package swarm

import (
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/shoal-bt/shoal/pieces"
)

// BEP 52 messages. shoal answers hash requests for the piece layers it has
// (a v2 or hybrid .torrent carries them, or they were fetched), so that v2
// peers that joined by magnet can check pieces by their Merkle trees; it
// asks for the layers it lacks (layerfetch.go), and ignores hashes and
// rejects it did not ask for.
const (
	msgHashRequest pp.MessageType = 21
	msgHashes      pp.MessageType = 22
	msgHashReject  pp.MessageType = 23
)

// handleHashRequest answers one hash request from the piece layers of the
// torrent, or the leaves of one verified piece (read and hashed on a
// worker; with 16 KiB pieces the leaves are the piece layer), or rejects it: a layer shoal does not have, a piece it has not
// verified, or a range past the layer. A malformed request (length not a
// power of two, say) is a violation.
func (t *torrent) handleHashRequest(p *peer, m message) error {
	r, err := pieces.ParseHashRequest(m.Payload)
	if err != nil {
		return violation("hash request: %v", err)
	}
	var hs []pieces.Hash32
	if c := t.data.Load(); c != nil && r.BaseLayer == 0 && pieces.PieceLayerIndex(c.info.PieceLength) != 0 {
		if t.serveLeaves(p, c, r) {
			return nil
		}
	} else if c != nil {
		if layer := c.tor.PieceLayers[r.Root]; layer != nil {
			hs, _ = pieces.ServeHashes(r, layer, c.info.PieceLength)
		}
	}
	t.log.Debug("Hash request", "peer", p.nc.addr.String(), "baseLayer", r.BaseLayer, "index", r.Index, "length", r.Length, "served", hs != nil)
	p.send(func(b []byte) []byte {
		if hs == nil {
			return appendPayload(b, msgHashReject, r.Bytes())
		}
		return appendPayload(b, msgHashes, pieces.HashesBytes(r, hs))
	})
	return nil
}

// serveLeaves answers a request for the leaves of a verified piece on a
// worker, which reads the piece; false when it cannot be served.
func (t *torrent) serveLeaves(p *peer, c *content, r pieces.HashRequest) bool {
	info := c.info
	for _, f := range info.Files {
		if f.Root == nil || pieces.Hash32(f.Root) != r.Root {
			continue
		}
		w := pieces.LeafWidth(f.Length, info.PieceLength)
		k := int(r.Index) / w
		i := int(f.Offset/info.PieceLength) + k
		start := info.PieceOffset(i)
		if int(r.Index)%w != 0 || start >= f.Offset+f.Length || !c.has(i) {
			return false
		}
		layer := c.tor.PieceLayers[r.Root]
		n := min(info.PieceLength, f.Offset+f.Length-start)
		t.wg.Go(func() {
			data := make([]byte, n)
			var hs []pieces.Hash32
			if _, err := c.storage.ReadAt(data, start); err == nil {
				hs, _ = pieces.ServeLeaves(r, data, k, layer, r.Root, f.Length, info.PieceLength)
			}
			p.send(func(b []byte) []byte {
				if hs == nil {
					return appendPayload(b, msgHashReject, r.Bytes())
				}
				return appendPayload(b, msgHashes, pieces.HashesBytes(r, hs))
			})
		})
		return true
	}
	return false
}
