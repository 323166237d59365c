package pieces

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// BEP 52 peers ask each other for parts of a file's Merkle tree with hash
// request messages, answered by hashes (the hashes asked for, then the
// uncle hashes that prove them against the file's root) or hash reject.
// All three start with the same 48 bytes, HashRequest.

// HashRequest asks for Length hashes of layer BaseLayer (0 is the 16 KiB
// leaves) of the tree of the file whose root is Root, from Index, with up
// to ProofLayers uncle hashes above them.
type HashRequest struct {
	Root        Hash32
	BaseLayer   uint32
	Index       uint32
	Length      uint32
	ProofLayers uint32
}

// hashRequestLen is the payload of a hash request or reject, and the head
// of a hashes message.
const hashRequestLen = 48

// MaxHashRequest bounds Length: libtorrent asks for at most 512 at once;
// the slack is for other clients, and a hashes message stays under 300 KiB.
const MaxHashRequest = 8192

// ErrBadHashMsg marks a hash request, hashes or hash reject message that is
// malformed or asks for what no tree has.
var ErrBadHashMsg = errors.New("bad BEP 52 hash message")

// ParseHashRequest reads a hash request (or hash reject) payload and checks
// what it can without the tree: Length a power of two up to
// MaxHashRequest, Index a multiple of it.
func ParseHashRequest(b []byte) (HashRequest, error) {
	if len(b) != hashRequestLen {
		return HashRequest{}, fmt.Errorf("%w: %d bytes, want %d", ErrBadHashMsg, len(b), hashRequestLen)
	}
	r := parseHashHead(b)
	if err := r.check(); err != nil {
		return HashRequest{}, err
	}
	return r, nil
}

func parseHashHead(b []byte) HashRequest {
	var r HashRequest
	copy(r.Root[:], b)
	r.BaseLayer = binary.BigEndian.Uint32(b[32:])
	r.Index = binary.BigEndian.Uint32(b[36:])
	r.Length = binary.BigEndian.Uint32(b[40:])
	r.ProofLayers = binary.BigEndian.Uint32(b[44:])
	return r
}

func (r HashRequest) check() error {
	switch {
	case r.Length == 0 || r.Length > MaxHashRequest || bits.OnesCount32(r.Length) != 1:
		return fmt.Errorf("%w: length %d: want a power of two up to %d", ErrBadHashMsg, r.Length, MaxHashRequest)
	case r.Index%r.Length != 0:
		return fmt.Errorf("%w: index %d is not a multiple of length %d", ErrBadHashMsg, r.Index, r.Length)
	case r.BaseLayer > 64 || r.ProofLayers > 64:
		return fmt.Errorf("%w: base layer %d, proof layers %d: no tree is that tall", ErrBadHashMsg, r.BaseLayer, r.ProofLayers)
	}
	return nil
}

// Bytes is the 48-byte payload of a hash request or reject.
func (r HashRequest) Bytes() []byte {
	b := make([]byte, hashRequestLen)
	copy(b, r.Root[:])
	binary.BigEndian.PutUint32(b[32:], r.BaseLayer)
	binary.BigEndian.PutUint32(b[36:], r.Index)
	binary.BigEndian.PutUint32(b[40:], r.Length)
	binary.BigEndian.PutUint32(b[44:], r.ProofLayers)
	return b
}

// ParseHashes reads a hashes payload: its request, then the hashes (the
// asked-for ones and the uncles; VerifyHashes tells them apart).
func ParseHashes(b []byte) (HashRequest, []Hash32, error) {
	if len(b) < hashRequestLen || (len(b)-hashRequestLen)%32 != 0 {
		return HashRequest{}, nil, fmt.Errorf("%w: hashes message of %d bytes", ErrBadHashMsg, len(b))
	}
	r := parseHashHead(b)
	if err := r.check(); err != nil {
		return r, nil, err
	}
	n := (len(b) - hashRequestLen) / 32
	if n < int(r.Length) || n > int(r.Length)+64 {
		return r, nil, fmt.Errorf("%w: %d hashes for a request of %d", ErrBadHashMsg, n, r.Length)
	}
	hs := make([]Hash32, n)
	for k := range hs {
		copy(hs[k][:], b[hashRequestLen+32*k:])
	}
	return r, hs, nil
}

// HashesBytes is the payload of a hashes message answering r.
func HashesBytes(r HashRequest, hs []Hash32) []byte {
	b := r.Bytes()
	for _, h := range hs {
		b = append(b, h[:]...)
	}
	return b
}
