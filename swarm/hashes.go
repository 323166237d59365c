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
// torrent, or rejects it: a layer shoal does not have (a magnet's torrent
// carries none; only piece layers are kept) or a range past the layer. A
// malformed request (length not a power of two, say) is a violation.
func (t *torrent) handleHashRequest(p *peer, m message) error {
	r, err := pieces.ParseHashRequest(m.Payload)
	if err != nil {
		return violation("hash request: %v", err)
	}
	var hs []pieces.Hash32
	if c := t.data.Load(); c != nil {
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
