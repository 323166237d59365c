package pieces

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
)

// maxOpenFiles bounds the descriptors one Storage keeps open; the least
// recently used idle file is closed past it.
const maxOpenFiles = 64

// Storage reads and writes a torrent's files with pread/pwrite (os.File
// ReadAt/WriteAt), no mmap. Offsets are torrent-global and may span files.
// Its methods are safe for concurrent use.
//
// Every file is opened for writing through an os.Root at the download
// directory, so neither a crafted path nor a symlink planted under the
// directory (for example Name -> /etc) can make a write land outside it:
// symlinks that stay inside are followed, others fail with a *SymlinkError.
// Reads and stats follow every symlink, since a user sharing a folder
// shares what its links show. Names are validated again here in case the
// Info was built by hand. Special files (FIFOs, devices) are refused.
//
// Files and their parent directories are created lazily by the first write
// that touches them, as sparse files of their full length (Truncate); empty
// files are created by the write that reaches their offset. Skipped files
// that are not on disk are never created: their bytes in pieces shared with
// wanted files go to a part file (storage_part.go).
type Storage struct {
	dir  string
	info *Info
	rel  []string // per file: slash-separated path under dir

	mu      sync.Mutex
	root    *os.Root // nil until dir exists
	open    map[int]*handle
	tick    uint64
	created []bool // empty files already created
	guards  []fileGuard
	// guardAt mirrors each guarded file's stamp for the read path, which
	// then takes no lock; nil when unguarded.
	guardAt []atomic.Pointer[guardStamp]
	closed  bool
	// noDirect is set once the file system refuses O_DIRECT (tmpfs before
	// Linux 6.6, some FUSE file systems): writes then all go through the
	// page cache.
	noDirect bool

	part partState // skipped files' bytes in shared pieces (storage_part.go)
}

// ioMode is what span does with each file's chunk.
type ioMode int

const (
	ioRead     ioMode = iota
	ioWrite           // creates files as needed; refused for edited files
	ioVerified        // a read that proves the file unchanged since verified
)

type handle struct {
	f        *os.File
	fd       int // f's descriptor, for fstatNs
	writable bool
	refs     int
	used     uint64
	stale    bool // replaced by a writable handle; close when idle
	// direct is f opened again with O_DIRECT, for WriteBuffersDirect;
	// nil until its first aligned write.
	direct *os.File
}

func (h *handle) close() error {
	if h.direct != nil {
		h.direct.Close()
	}
	return h.f.Close()
}

// OpenStorage prepares storage for info under dir (which holds dir/Name). It
// refuses names that could escape dir but touches nothing on disk beyond
// opening dir if it exists.
func OpenStorage(dir string, info *Info) (*Storage, error) {
	if err := checkComponent(info.Name); err != nil {
		return nil, fmt.Errorf("%w: name %q: %w", ErrBadTorrent, info.Name, err)
	}
	s := &Storage{dir: dir, info: info, rel: make([]string, len(info.Files)),
		open: map[int]*handle{}, created: make([]bool, len(info.Files)),
		guards: make([]fileGuard, len(info.Files)), guardAt: make([]atomic.Pointer[guardStamp], len(info.Files))}
	for k, f := range info.Files {
		if f.Path == nil {
			if len(info.Files) != 1 {
				return nil, badf("file %d has no path", k)
			}
			s.rel[k] = info.Name
			continue
		}
		if err := checkPath(f.Path); err != nil {
			return nil, badf("file %d path %q: %w", k, joinPath(f.Path), err)
		}
		s.rel[k] = info.Name + "/" + joinPath(f.Path)
		if !filepath.IsLocal(filepath.FromSlash(s.rel[k])) {
			return nil, fmt.Errorf("file %d path %q: %w", k, s.rel[k], ErrUnsafePath)
		}
	}
	root, err := os.OpenRoot(dir)
	switch {
	case err == nil:
		s.root = root
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("open storage: %w", err)
	}
	return s, nil
}

// Dir is the download directory that holds dir/Name.
func (s *Storage) Dir() string { return s.dir }

// ReadAt reads len(p) bytes at torrent offset off. A missing file gives an
// error wrapping fs.ErrNotExist and a file shorter than the torrent says
// one wrapping io.ErrUnexpectedEOF; reading past the end gives io.EOF.
func (s *Storage) ReadAt(p []byte, off int64) (int, error) {
	return s.span(p, off, ioRead)
}

// WriteAt writes p at torrent offset off, creating files as needed.
func (s *Storage) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off > s.info.Length-int64(len(p)) {
		return 0, fmt.Errorf("write %d bytes at %d: outside the torrent's %d bytes", len(p), off, s.info.Length)
	}
	n, err := s.span(p, off, ioWrite)
	if err != nil {
		return n, err
	}
	return n, s.createEmpty(off, off+int64(len(p)))
}

func (s *Storage) span(p []byte, off int64, mode ioMode) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("negative offset %d", off)
	}
	s.part.mu.RLock()
	defer s.part.mu.RUnlock()
	files := s.info.Files
	k := sort.Search(len(files), func(k int) bool { return files[k].Offset+files[k].Length > off })
	done := 0
	for ; done < len(p) && k < len(files); k++ {
		f := files[k]
		if f.Length == 0 {
			continue
		}
		at := off + int64(done) - f.Offset
		chunk := p[done:min(len(p), done+int(min(f.Length-at, int64(len(p)))))]
		if f.Padding {
			if mode != ioWrite {
				clear(chunk)
			}
			done += len(chunk)
			continue
		}
		var n int
		var err error
		if s.part.parted != nil && s.part.parted[k] {
			n, err = s.partIO(k, chunk, at, mode)
		} else {
			n, err = s.fileIO(k, chunk, at, mode)
		}
		done += n
		if err != nil {
			return done, err
		}
	}
	if done < len(p) {
		return done, io.EOF
	}
	return done, nil
}

func (s *Storage) fileIO(k int, p []byte, at int64, mode ioMode) (int, error) {
	h, err := s.acquire(k, mode == ioWrite)
	if err != nil {
		return 0, err
	}
	defer s.release(h)
	var n int
	if mode == ioWrite {
		n, err = h.f.WriteAt(p, at)
	} else {
		n, err = h.f.ReadAt(p, at)
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("%s is shorter than %d bytes: %w", s.rel[k], s.info.Files[k].Length, io.ErrUnexpectedEOF)
		}
		if mode == ioVerified {
			// After the read, on the same descriptor: see ReadVerifiedAt. A
			// failed read is checked too: a file cut short by its owner is
			// a change, not a disk error.
			if gerr := s.checkGuard(k, h); gerr != nil {
				return 0, gerr
			}
		}
	}
	var changed *FileChangedError
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.As(err, &changed) {
		err = fmt.Errorf("%s: %w", s.rel[k], err)
	}
	return n, err
}

// HashPiece reads piece p and returns its SHA-1.
func (s *Storage) HashPiece(p Index) ([20]byte, error) {
	buf := getBuf(int(s.info.PieceLength))
	defer putBuf(buf)
	b := (*buf)[:s.info.PieceSize(p)]
	if _, err := s.ReadAt(b, s.info.PieceOffset(p)); err != nil {
		return [20]byte{}, fmt.Errorf("piece %d: %w", p, err)
	}
	return sha1.Sum(b), nil
}

var bufPools sync.Map // size -> *sync.Pool of *[]byte

func getBuf(size int) *[]byte {
	pool, _ := bufPools.LoadOrStore(size, &sync.Pool{New: func() any {
		b := make([]byte, size)
		return &b
	}})
	return pool.(*sync.Pool).Get().(*[]byte)
}

func putBuf(b *[]byte) {
	if pool, ok := bufPools.Load(cap(*b)); ok {
		*b = (*b)[:cap(*b)]
		pool.(*sync.Pool).Put(b)
	}
}
