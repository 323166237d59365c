package tracker

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
)

// peerList holds one address family's peers of a swarm as fixed-size records
// in one byte slice: the compact peer (BEP 23: IP then big-endian port, 6 or
// 18 bytes) followed by a little-endian uint32 of meta (seen | seederBit).
// Records are what the wire wants, so answers are plain copies, and a peer
// costs its record plus slice slack: no strings, no pointers, no per-peer
// allocation.
type peerList struct {
	recs  []byte
	index map[string]int32 // compact peer -> record number; only for big swarms
}

const (
	seederBit  = 1 << 31
	seenMask   = seederBit - 1
	indexAbove = 64 // linear scans of up to this many records beat hashing
	indexBelow = 32 // hysteresis, so a swarm at the edge does not rebuild it on every announce
)

func (l *peerList) len(stride int) int { return len(l.recs) / stride }

func (l *peerList) key(i, stride int) []byte {
	return l.recs[i*stride : i*stride+stride-4]
}

func (l *peerList) meta(i, stride int) uint32 {
	return binary.LittleEndian.Uint32(l.recs[i*stride+stride-4:])
}

func (l *peerList) setMeta(i, stride int, m uint32) {
	binary.LittleEndian.PutUint32(l.recs[i*stride+stride-4:], m)
}

// find returns the record number of the compact peer key, or -1.
func (l *peerList) find(key []byte, stride int) int {
	if l.index != nil {
		if i, ok := l.index[string(key)]; ok {
			return int(i)
		}
		return -1
	}
	n := len(key)
	for off := 0; off < len(l.recs); off += stride {
		if bytes.Equal(l.recs[off:off+n], key) {
			return off / stride
		}
	}
	return -1
}

// add appends a record and returns its number.
func (l *peerList) add(key []byte, m uint32, stride int) int {
	i := l.len(stride)
	l.recs = append(l.recs, key...)
	l.recs = binary.LittleEndian.AppendUint32(l.recs, m)
	switch {
	case l.index != nil:
		l.index[string(key)] = int32(i)
	case i+1 > indexAbove:
		l.buildIndex(stride)
	}
	return i
}

func (l *peerList) buildIndex(stride int) {
	n := l.len(stride)
	l.index = make(map[string]int32, n)
	for i := range n {
		l.index[string(l.key(i, stride))] = int32(i)
	}
}

// remove deletes record i by moving the last record into its place.
func (l *peerList) remove(i, stride int) {
	last := l.len(stride) - 1
	if l.index != nil {
		delete(l.index, string(l.key(i, stride)))
	}
	if i != last {
		copy(l.recs[i*stride:(i+1)*stride], l.recs[last*stride:])
		if l.index != nil {
			l.index[string(l.key(i, stride))] = int32(i)
		}
	}
	l.recs = l.recs[:last*stride]
	switch {
	case last == 0:
		l.recs = nil
	case l.index != nil && last < indexBelow:
		l.index = nil
	case cap(l.recs) > 64*stride && cap(l.recs) > 4*len(l.recs):
		// Give back memory when a big swarm shrinks for good.
		l.recs = append([]byte(nil), l.recs...)
	}
}

// appendPeers appends up to want compact peers to dst, starting at a random
// record and skipping record self (the asker) and, for a seeder asking,
// other seeders: they have nothing to give each other.
func (l *peerList) appendPeers(dst []byte, want, self, stride int, seederAsking bool) []byte {
	n := l.len(stride)
	if n == 0 || want <= 0 {
		return dst
	}
	start := rand.IntN(n)
	got := 0
	for j := 0; j < n && got < want; j++ {
		i := start + j
		if i >= n {
			i -= n
		}
		if i == self || seederAsking && l.meta(i, stride)&seederBit != 0 {
			continue
		}
		dst = append(dst, l.key(i, stride)...)
		got++
	}
	return dst
}

// expire removes records last seen before cutoff and reports how many
// seeders and leechers went.
func (l *peerList) expire(cutoff uint32, stride int) (seeders, leechers int) {
	for i := 0; i < l.len(stride); {
		m := l.meta(i, stride)
		if m&seenMask >= cutoff {
			i++
			continue
		}
		if m&seederBit != 0 {
			seeders++
		} else {
			leechers++
		}
		l.remove(i, stride)
	}
	return seeders, leechers
}
