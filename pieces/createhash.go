package pieces

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/zeebo/blake3"
	"golang.org/x/sync/errgroup"
)

// chunkBytes is how much the reader hands over at once: whole pieces, at
// least this much, so small pieces do not cost a channel send each.
const chunkBytes = 4 << 20

type hashResult struct {
	pieces [][20]byte
	blake3 [][32]byte // per file
	leaves [][]Hash32 // per file: its 16 KiB SHA-256 leaves (v2)
}

// hashWant says which digests to compute.
type hashWant struct{ sha1, sha256, blake3 bool }

// chunk is a run of whole pieces (the last may be short) read from the
// files in order, with the file segments it holds for the BLAKE3 hasher.
type chunk struct {
	buf   []byte
	first Index
	segs  []segment
	refs  atomic.Int32 // SHA-1 worker + BLAKE3 hasher
}

type segment struct {
	file   int
	lo, hi int  // bytes of chunk.buf
	last   bool // file ends here
}

// hashFiles reads files sequentially in big chunks on one goroutine, SHA-1s
// pieces and SHA-256s 16 KiB blocks on a pool of workers, and BLAKE3s each
// file on one more goroutine (a file's digest is sequential). Chunk buffers
// are recycled, so memory is bounded by (workers+2) chunks. With sha256,
// every file starts on a piece (pad files see to it), so its blocks never
// straddle two chunks.
func hashFiles(ctx context.Context, files []srcFile, total, pl int64, workers int, want hashWant, progress func(done, total int64)) (*hashResult, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	res := &hashResult{
		pieces: make([][20]byte, ceilDiv(total, pl)),
		blake3: make([][32]byte, len(files)),
	}
	offsets := make([]int64, len(files))
	var off int64
	for k, f := range files {
		offsets[k] = off
		off += f.size
	}
	if want.sha256 {
		res.leaves = make([][]Hash32, len(files))
		for k, f := range files {
			if !f.pad {
				res.leaves[k] = make([]Hash32, ceilDiv(f.size, BlockSize))
			}
		}
	}
	refs := int32(1)
	if want.blake3 {
		refs = 2
	}
	perChunk := max(1, chunkBytes/pl)
	free := make(chan []byte, workers+2)
	for range cap(free) {
		free <- make([]byte, perChunk*pl)
	}
	release := func(c *chunk) {
		if c.refs.Add(-1) == 0 {
			free <- c.buf[:cap(c.buf)]
		}
	}
	toSHA := make(chan *chunk, cap(free))
	toB3 := make(chan *chunk, cap(free))
	g, ctx := errgroup.WithContext(ctx)

	g.Go(func() error {
		defer close(toSHA)
		defer close(toB3)
		return readChunks(ctx, files, pl, free, func(c *chunk) error {
			c.refs.Store(refs)
			select {
			case toSHA <- c:
			case <-ctx.Done():
				return ctx.Err()
			}
			if !want.blake3 {
				return nil
			}
			select {
			case toB3 <- c:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		})
	})

	var mu sync.Mutex
	var done int64
	for range workers {
		g.Go(func() error {
			for c := range toSHA {
				if want.sha1 {
					for off, p := 0, c.first; off < len(c.buf); off, p = off+int(pl), p+1 {
						res.pieces[p] = sha1.Sum(c.buf[off:min(len(c.buf), off+int(pl))])
					}
				}
				if want.sha256 {
					hashLeaves(c, files, offsets, pl, res.leaves)
				}
				n := int64(len(c.buf))
				release(c)
				if progress != nil {
					mu.Lock()
					done += n
					progress(done, total)
					mu.Unlock()
				}
			}
			return nil
		})
	}

	g.Go(func() error {
		h := blake3.New()
		for c := range toB3 {
			for _, s := range c.segs {
				if files[s.file].pad {
					continue
				}
				h.Write(c.buf[s.lo:s.hi])
				if s.last {
					h.Sum(res.blake3[s.file][:0])
					h.Reset()
				}
			}
			release(c)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return res, nil
}

// hashLeaves fills in the leaves of each file's blocks in c. Each worker
// writes the leaves of its own chunks, so no two write the same element.
func hashLeaves(c *chunk, files []srcFile, offsets []int64, pl int64, leaves [][]Hash32) {
	for _, s := range c.segs {
		if files[s.file].pad || s.lo == s.hi {
			continue
		}
		inFile := int64(c.first)*pl + int64(s.lo) - offsets[s.file]
		idx := inFile / BlockSize
		for off := s.lo; off < s.hi; off += BlockSize {
			leaves[s.file][idx] = sha256.Sum256(c.buf[off:min(s.hi, off+BlockSize)])
			idx++
		}
	}
}

// readChunks fills buffers from free with the files' bytes in order and
// passes each to send. A file that is shorter or longer than when it was
// listed fails the run: the torrent would not match the data.
func readChunks(ctx context.Context, files []srcFile, pl int64, free chan []byte, send func(*chunk) error) error {
	var c *chunk
	var first Index
	get := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		select {
		case buf := <-free:
			c = &chunk{buf: buf[:0], first: first}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	put := func() error {
		first += Index(int64(len(c.buf)) / pl)
		return send(c)
	}
	if err := get(); err != nil {
		return err
	}
	for k, src := range files {
		if src.pad {
			if err := readZeros(&c, k, src.size, put, get); err != nil {
				return err
			}
			continue
		}
		// O_NONBLOCK: a file swapped for a FIFO since the walk must not
		// hang the open; the mode check below then refuses it.
		f, err := os.OpenFile(src.abs, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return err
		}
		err = func() error {
			if st, err := f.Stat(); err != nil {
				return err
			} else if !st.Mode().IsRegular() {
				return fmt.Errorf("%s: no longer a regular file", src.abs)
			}
			remaining := src.size
			if remaining == 0 {
				c.segs = append(c.segs, segment{file: k, lo: len(c.buf), hi: len(c.buf), last: true})
			}
			for remaining > 0 {
				if len(c.buf) == cap(c.buf) {
					if err := put(); err != nil {
						return err
					}
					if err := get(); err != nil {
						return err
					}
				}
				lo := len(c.buf)
				n := int(min(remaining, int64(cap(c.buf)-lo)))
				if _, err := io.ReadFull(f, c.buf[lo:lo+n]); err != nil {
					if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
						return fmt.Errorf("%s: shrank while hashing", src.abs)
					}
					return err
				}
				remaining -= int64(n)
				c.buf = c.buf[:lo+n]
				c.segs = append(c.segs, segment{file: k, lo: lo, hi: lo + n, last: remaining == 0})
			}
			if n, _ := f.Read(make([]byte, 1)); n > 0 {
				return fmt.Errorf("%s: grew while hashing", src.abs)
			}
			return nil
		}()
		f.Close()
		if err != nil {
			return err
		}
	}
	return put()
}

// readZeros appends a pad file's zeros to the chunk *c, as readChunks
// appends a file's bytes.
func readZeros(c **chunk, k int, remaining int64, put, get func() error) error {
	for remaining > 0 {
		if len((*c).buf) == cap((*c).buf) {
			if err := put(); err != nil {
				return err
			}
			if err := get(); err != nil {
				return err
			}
		}
		cc := *c
		lo := len(cc.buf)
		n := int(min(remaining, int64(cap(cc.buf)-lo)))
		cc.buf = cc.buf[:lo+n]
		clear(cc.buf[lo:])
		remaining -= int64(n)
		cc.segs = append(cc.segs, segment{file: k, lo: lo, hi: lo + n, last: remaining == 0})
	}
	return nil
}

func joinHashes(hs [][20]byte) []byte {
	out := make([]byte, 0, len(hs)*20)
	for _, h := range hs {
		out = append(out, h[:]...)
	}
	return out
}

func sha1Sum(b []byte) [20]byte { return sha1.Sum(b) }
