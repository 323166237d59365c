package swarm

// Which connections speak BEP 52. A torrent known by its v2 name alone
// (a v2-only one, or a btmh-only magnet's) has only v2 connections. A hybrid's does when
// the handshake used its v2 name, or when we dialled under the v1 name and
// the peer's answer carries BEP 52's reserved bit (0x10 of byte 7). That
// bit is libtorrent's "this v1 connection could be v2": it sets it only
// on v1 connections of hybrids, takes hash messages on a connection whose
// dialler set it, and its source refuses a dialler that sets it for a v1
// torrent. So we set it for torrents with a v2 half only, and send hash
// requests on a
// hybrid's v1 connection only when we dialled and the answer has it (a
// shoal peer's does; libtorrent's answer to our bit does not, and we do
// not ask it there).

// v2Name: the swarm knows the torrent by its truncated v2 infohash alone:
// a v2-only .torrent, or a btmh-only magnet (whose info may yet turn out
// a hybrid's). From opts, fixed at Add: read anywhere.
func (t *torrent) v2Name() bool {
	switch o := t.opts; {
	case o.Torrent != nil:
		return o.Torrent.Info.HasV2() && !o.Torrent.Info.HasV1()
	case o.Magnet != nil:
		return o.Magnet.V2Only
	}
	return false
}

// hasV2: the torrent has a v2 half, as far as the loop knows yet (a
// hybrid added by a btih-only magnet learns it with the info: learnAlias);
// safe from any goroutine.
func (t *torrent) hasV2() bool {
	return t.v2Name() || t.ihV2() != (InfoHash{})
}

// v2Conn says whether a connection whose handshake named name, and whose
// peer set reserved, speaks BEP 52 for t.
func (t *torrent) v2Conn(name InfoHash, reserved [8]byte, incoming bool) bool {
	switch {
	case !t.hasV2():
		return false
	case t.v2Name() || name == t.ihV2():
		return true
	}
	return !incoming && supportsV2(reserved)
}
