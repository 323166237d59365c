package pieces

import (
	"bytes"
	"errors"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestHashes_ServeVerify: every request for a piece layer, answered from
// the layer, proves against the file's root, and gives back the layer;
// a changed hash, a short proof or a wrong position does not.
func TestHashes_ServeVerify(t *testing.T) {
	const pl = 32 << 10
	data := make([]byte, 5*pl-100) // 5 pieces: a layer 8 wide
	rng := rand.New(rand.NewPCG(5, 2))
	for i := range data {
		data[i] = byte(rng.Uint32()) // no two pieces alike
	}
	leaves := BlockLeaves(data)
	root, layer := FileRoot(leaves), PieceLayer(leaves, pl)
	for _, length := range []uint32{1, 2, 4, 8} {
		for index := uint32(0); index+length <= 8; index += length {
			r := HashRequest{Root: root, BaseLayer: PieceLayerIndex(pl), Index: index, Length: length, ProofLayers: 64}
			hs, err := ServeHashes(r, layer, pl)
			if err != nil {
				t.Fatalf("serve %+v: %v", r, err)
			}
			again, req, err := func() ([]Hash32, HashRequest, error) {
				req, got, err := ParseHashes(HashesBytes(r, hs))
				return got, req, err
			}()
			if err != nil || req != r || !slices.Equal(again, hs) {
				t.Fatalf("hashes message roundtrip: %v", err)
			}
			got, err := VerifyHashes(r, hs, root, int64(len(data)), pl)
			if err != nil {
				t.Fatalf("verify %+v: %v", r, err)
			}
			want := layer[min(int(index), len(layer)):min(int(index+length), len(layer))]
			if !slices.Equal(got, want) {
				t.Fatalf("verify %+v gave %d hashes, want %d", r, len(got), len(want))
			}
			for k := range hs {
				bad := slices.Clone(hs)
				bad[k][0] ^= 1
				if _, err := VerifyHashes(r, bad, root, int64(len(data)), pl); !errors.Is(err, ErrBadHashMsg) {
					t.Fatalf("hash %d changed: %v", k, err)
				}
			}
			if len(hs) > int(length) {
				if _, err := VerifyHashes(r, hs[:len(hs)-1], root, int64(len(data)), pl); err == nil {
					t.Fatalf("short proof accepted")
				}
			}
			if moved := r; length < 8 && (index+length)%8 < uint32(len(layer)) && index < uint32(len(layer)) {
				// (Past the file's end every node is the same pad: no
				// position to tell apart.)
				moved.Index = (index + length) % 8
				if _, err := VerifyHashes(moved, hs, root, int64(len(data)), pl); err == nil {
					t.Fatalf("hashes for [%d,+%d) accepted at %d", index, length, moved.Index)
				}
			}
		}
	}
	for _, r := range []HashRequest{
		{Root: root, BaseLayer: 0, Index: 0, Length: 2, ProofLayers: 3},                   // leaves are not kept
		{Root: root, BaseLayer: PieceLayerIndex(pl), Index: 8, Length: 8, ProofLayers: 3}, // past the layer
	} {
		if _, err := ServeHashes(r, layer, pl); !errors.Is(err, ErrBadHashMsg) {
			t.Errorf("serve %+v: %v, want ErrBadHashMsg", r, err)
		}
	}
	// Fewer proof layers asked, fewer uncles given; they count as
	// libtorrent counts them: ProofLayers+1-log2(Length) uncles.
	for proof, want := range map[uint32]int{0: 2, 1: 3, 2: 4, 9: 4} {
		r := HashRequest{Root: root, BaseLayer: PieceLayerIndex(pl), Index: 2, Length: 2, ProofLayers: proof}
		if hs, _ := ServeHashes(r, layer, pl); len(hs) != want {
			t.Errorf("%d proof layers: %d hashes, want %d", proof, len(hs), want)
		}
	}
}

func TestParseHashRequest_Bad(t *testing.T) {
	ok := HashRequest{BaseLayer: 1, Index: 4, Length: 4, ProofLayers: 2}
	if r, err := ParseHashRequest(ok.Bytes()); err != nil || r != ok {
		t.Fatalf("%+v, %v", r, err)
	}
	for _, r := range []HashRequest{
		{Length: 0}, {Length: 3}, {Index: 2, Length: 4}, {Length: MaxHashRequest * 2}, {Length: 1, BaseLayer: 65},
	} {
		if _, err := ParseHashRequest(r.Bytes()); !errors.Is(err, ErrBadHashMsg) {
			t.Errorf("%+v: %v, want ErrBadHashMsg", r, err)
		}
	}
	if _, err := ParseHashRequest(ok.Bytes()[:47]); !errors.Is(err, ErrBadHashMsg) {
		t.Errorf("47 bytes: %v", err)
	}
}

func FuzzParseHashRequest(f *testing.F) {
	f.Add(HashRequest{BaseLayer: 1, Index: 4, Length: 4, ProofLayers: 2}.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseHashRequest(b)
		if err != nil {
			return
		}
		if !bytes.Equal(r.Bytes(), b) || r.Length == 0 || r.Index%r.Length != 0 {
			t.Fatalf("accepted %+v from %x", r, b)
		}
	})
}

func FuzzParseHashes(f *testing.F) {
	f.Add(HashesBytes(HashRequest{BaseLayer: 1, Index: 0, Length: 2, ProofLayers: 1}, make([]Hash32, 3)))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, hs, err := ParseHashes(b)
		if err != nil {
			return
		}
		if !bytes.Equal(HashesBytes(r, hs), b) || len(hs) < int(r.Length) {
			t.Fatalf("accepted %+v with %d hashes from %d bytes", r, len(hs), len(b))
		}
		// Checking an answer against a root never panics, whatever it holds.
		VerifyHashes(r, hs, Hash32{}, int64(r.Index+r.Length)*BlockSize*2, 2*BlockSize)
	})
}

// TestLayerRequests_Fetch: the requests LayerRequests makes for files of
// 2 to 1,300 pieces, answered by ServeHashes, each prove against the root
// by themselves and together give back the whole piece layer; runs are
// 512 wide but the last, and every request is one libtorrent accepts
// (length within the layer, proof layers below its height).
func TestLayerRequests_Fetch(t *testing.T) {
	const pl = BlockSize
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{2, 3, 5, 511, 512, 513, 1025, 1300} {
		layer := make([]Hash32, n)
		for k := range layer {
			for j := range layer[k] {
				layer[k][j] = byte(rng.Uint32())
			}
		}
		length := int64(n-1)*pl + 1
		root := LayerRoot(layer, pl)
		reqs := LayerRequests(root, length, pl)
		if want := (n + 511) / 512; len(reqs) != want {
			t.Fatalf("%d pieces: %d requests, want %d", n, len(reqs), want)
		}
		var got []Hash32
		for _, r := range reqs {
			if _, err := ParseHashRequest(r.Bytes()); err != nil {
				t.Fatalf("%d pieces: request %+v: %v", n, r, err)
			}
			// libtorrent's validate_hash_request: within the layer, and
			// fewer proof layers than the layers above it.
			if w := uint32(nextPow2(n)); r.Index+r.Length > w || r.Length < 2 || r.ProofLayers >= uint32(bits.Len(uint(w))-1) {
				t.Fatalf("%d pieces: request %+v past a layer %d wide, or too many proof layers", n, r, w)
			}
			hs, err := ServeHashes(r, layer, pl)
			if err != nil {
				t.Fatalf("%d pieces: serve %+v: %v", n, r, err)
			}
			part, err := VerifyHashes(r, hs, root, length, pl)
			if err != nil {
				t.Fatalf("%d pieces: verify %+v: %v", n, r, err)
			}
			got = append(got, part...)
		}
		if !slices.Equal(got, layer) {
			t.Fatalf("%d pieces: fetched layer differs", n)
		}
	}
	if r := LayerRequests(Hash32{}, pl, pl); r != nil {
		t.Errorf("a one-piece file needs no layer, got %d requests", len(r))
	}
}

// TestLeaves_ServeVerify: the leaves of each piece of a file, served from
// its data, hash to the piece's node (or, for a one-piece file, the
// root); a changed block's leaf does not; uncles asked for on top prove
// the piece against the root; a piece whose data changed is not served.
func TestLeaves_ServeVerify(t *testing.T) {
	const pl = 64 << 10
	rng := rand.New(rand.NewPCG(9, 9))
	for _, size := range []int{3*pl + 5000, 20_000} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		leaves := BlockLeaves(data)
		root, layer := FileRoot(leaves), PieceLayer(leaves, pl)
		for k := 0; k*pl < size; k++ {
			piece := data[k*pl : min(size, (k+1)*pl)]
			r := LeafRequest(root, int64(size), pl, k)
			hs, err := ServeLeaves(r, piece, k, layer, root, int64(size), pl)
			if err != nil {
				t.Fatalf("size %d piece %d: serve %+v: %v", size, k, r, err)
			}
			node := root
			if layer != nil {
				node = layer[k]
			}
			got, err := VerifyLeaves(r, hs, node)
			if err != nil || !slices.Equal(got[:len(BlockLeaves(piece))], BlockLeaves(piece)) {
				t.Fatalf("size %d piece %d: verify: %v", size, k, err)
			}
			bad := slices.Clone(piece)
			bad[len(bad)/2] ^= 1
			if _, err := ServeLeaves(r, bad, k, layer, root, int64(size), pl); err == nil {
				t.Fatalf("size %d piece %d: served leaves of changed data", size, k)
			}
			if layer == nil {
				continue
			}
			full := r
			full.ProofLayers = uint32(bits.Len(uint(nextPow2(len(leaves))))) - 2 // every uncle to the root
			hs, err = ServeLeaves(full, piece, k, layer, root, int64(size), pl)
			if err != nil {
				t.Fatal(err)
			}
			n := merkleRoot(hs[:r.Length], int(r.Length), Hash32{})
			pos := k
			for _, u := range hs[r.Length:] {
				if pos%2 == 0 {
					n = hashPair(n, u)
				} else {
					n = hashPair(u, n)
				}
				pos /= 2
			}
			if n != root {
				t.Fatalf("size %d piece %d: leaves and %d uncles do not prove the root", size, k, len(hs)-int(r.Length))
			}
		}
	}
}

// TestLayerOf_FromData: a file's bytes give back the piece layer a
// .torrent would carry; a changed byte, or a short file, give none.
func TestLayerOf_FromData(t *testing.T) {
	const pl = 32 << 10
	data := make([]byte, 5*pl+77)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	leaves := BlockLeaves(data)
	root, want := FileRoot(leaves), PieceLayer(leaves, pl)
	got, err := LayerOf(t.Context(), bytes.NewReader(data), int64(len(data)), pl, root)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("layer of the data: %d hashes, %v; want %d", len(got), err, len(want))
	}
	bad := slices.Clone(data)
	bad[3*pl+5] ^= 1
	if got, err := LayerOf(t.Context(), bytes.NewReader(bad), int64(len(data)), pl, root); got != nil || err != nil {
		t.Errorf("a changed byte gave a layer (%v)", err)
	}
	if got, err := LayerOf(t.Context(), bytes.NewReader(data[:len(data)-1]), int64(len(data)), pl, root); got != nil || err != nil {
		t.Errorf("a short file gave a layer (%v)", err)
	}
}
