package pieces

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/shoal-bt/shoal/internal/atomicfile"
)

// Resume is what a restart needs to skip a full recheck: the pieces we had,
// and each file's size and mtime when we had them. If Stamp now disagrees
// for a file, its pieces must be rechecked.
type Resume struct {
	InfoHash [20]byte
	Have     Bitfield
	Files    []FileStamp
	// Writing says the files may have been written after this record (it
	// was saved mid-download). After a crash their stamps are then newer
	// than the record's, which by itself is no reason to re-hash: see
	// Reconcile.
	Writing bool
	// Boot, when set, is the boot id (BootID) of the machine that saved the
	// record without syncing the data first: the record is then good
	// against a killed process (the kernel keeps its writes) but not
	// against a crash of the machine, and a loader must ignore it once the
	// machine has rebooted. Such records are also written without fsync.
	Boot string
}

// BootID names the running boot of this machine (Linux), or "" when it
// cannot tell; records then have to be saved durably every time.
func BootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// FileStamp is a file's size and modification time as Stamp saw it; Size is
// -1 (and ModTime zero) for a missing file. ModTime is UTC with nanoseconds
// so stamps compare with ==.
type FileStamp struct {
	Size    int64
	ModTime time.Time
}

// Resume file layout, big-endian:
//
//	magic "SHOALRES" | version u16 | flags u16 (bit 0: Writing, bit 1: Boot) |
//	infohash [20] | pieces u32 | files u32 | bitfield ceil(pieces/8) |
//	files × (size i64, mtime unix-nanoseconds i64) | [boot id len u8, boot id] |
//	CRC-32C u32 of all before
//
// The checksum catches torn writes (which the atomic rename should already
// prevent) and disk garbage.
const (
	resumeMagic   = "SHOALRES"
	resumeVersion = 1
	resumeHeader  = 8 + 2 + 2 + 20 + 4 + 4
	maxResume     = resumeHeader + MaxPieces/8 + 1 + MaxFiles*16 + 1 + 255 + 4
)

const (
	flagWriting = 1
	flagBoot    = 2
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SaveResume writes r to path atomically: a temporary file in the same
// directory, fsync, rename over path, fsync of the directory. A crash leaves
// either the old file or the new one.
func SaveResume(path string, r *Resume) error {
	if r.Have.Len() > MaxPieces || len(r.Files) > MaxFiles {
		return fmt.Errorf("save resume: %d pieces, %d files: over the limits", r.Have.Len(), len(r.Files))
	}
	b := make([]byte, 0, resumeHeader+len(r.Have.b)+16*len(r.Files)+4)
	b = append(b, resumeMagic...)
	b = binary.BigEndian.AppendUint16(b, resumeVersion)
	var flags uint16
	if r.Writing {
		flags |= flagWriting
	}
	if len(r.Boot) > 255 {
		return fmt.Errorf("save resume: boot id of %d bytes", len(r.Boot))
	}
	if r.Boot != "" {
		flags |= flagBoot
	}
	b = binary.BigEndian.AppendUint16(b, flags)
	b = append(b, r.InfoHash[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(r.Have.Len()))
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Files)))
	b = append(b, r.Have.b...)
	for _, f := range r.Files {
		var ns int64
		if !f.ModTime.IsZero() {
			ns = f.ModTime.UnixNano()
		}
		b = binary.BigEndian.AppendUint64(b, uint64(f.Size))
		b = binary.BigEndian.AppendUint64(b, uint64(ns))
	}
	if r.Boot != "" {
		b = append(b, byte(len(r.Boot)))
		b = append(b, r.Boot...)
	}
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	if err := atomicfile.Write(path, b, 0o644, r.Boot == ""); err != nil {
		return fmt.Errorf("save resume: %w", err)
	}
	return nil
}

// LoadResume reads a resume file written by SaveResume for info. A file that
// does not exist gives an error wrapping fs.ErrNotExist; one that is torn,
// corrupt, of another version or for a different number of pieces or files
// gives one wrapping ErrBadResume. Callers compare InfoHash themselves.
func LoadResume(path string, info *Info) (*Resume, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxResume+1))
	if err != nil {
		return nil, fmt.Errorf("load resume: %w", err)
	}
	r, err := decodeResume(b, info.NumPieces(), len(info.Files))
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrBadResume, path, err)
	}
	return r, nil
}

func decodeResume(b []byte, pieces, files int) (*Resume, error) {
	if len(b) < resumeHeader+4 || string(b[:8]) != resumeMagic {
		return nil, errors.New("not a shoal resume file")
	}
	if v := binary.BigEndian.Uint16(b[8:]); v != resumeVersion {
		return nil, fmt.Errorf("version %d, want %d", v, resumeVersion)
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, errors.New("checksum mismatch (torn or corrupt)")
	}
	flags := binary.BigEndian.Uint16(b[10:])
	r := &Resume{Writing: flags&flagWriting != 0}
	copy(r.InfoHash[:], b[12:32])
	np, nf := int64(binary.BigEndian.Uint32(b[32:])), int64(binary.BigEndian.Uint32(b[36:]))
	if np != int64(pieces) || nf != int64(files) {
		return nil, fmt.Errorf("for %d pieces and %d files, torrent has %d and %d", np, nf, pieces, files)
	}
	bfLen := (np + 7) / 8
	fixed := resumeHeader + bfLen + 16*nf
	if flags&flagBoot != 0 && int64(len(body)) > fixed {
		n := int64(body[fixed])
		if int64(len(body)) == fixed+1+n {
			r.Boot = string(body[fixed+1:])
			body = body[:fixed]
		}
	}
	if int64(len(body)) != fixed {
		return nil, fmt.Errorf("%d bytes, want %d", len(b), fixed+4)
	}
	have, err := BitfieldFromBytes(body[resumeHeader:resumeHeader+bfLen], pieces)
	if err != nil {
		return nil, err
	}
	r.Have = have
	rest := body[resumeHeader+bfLen:]
	r.Files = make([]FileStamp, nf)
	for k := range r.Files {
		size, ns := int64(binary.BigEndian.Uint64(rest)), int64(binary.BigEndian.Uint64(rest[8:]))
		rest = rest[16:]
		if size < -1 {
			return nil, fmt.Errorf("file %d: size %d", k, size)
		}
		r.Files[k].Size = size
		if ns != 0 {
			r.Files[k].ModTime = time.Unix(0, ns).UTC()
		}
	}
	return r, nil
}

// Stamp returns the current size and mtime of each of info's files under dir
// (the directory that holds dir/Name), looked up through an os.Root like
// Storage does. Missing files, and pad files, get Size -1.
func Stamp(dir string, info *Info) ([]FileStamp, error) {
	out := make([]FileStamp, len(info.Files))
	s, err := OpenStorage(dir, info)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	for k := range info.Files {
		out[k].Size = -1
		if s.root == nil || info.Files[k].Padding {
			continue
		}
		st, err := s.statFollow(s.root, s.rel[k])
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("stamp: %w", err)
		}
		out[k] = stampOf(st)
	}
	return out, nil
}

// Reconcile compares the record with the files' stamps now and says which
// pieces it still vouches for (keep) and which must be hashed again
// (recheck: every piece of a file that changed). A file is unchanged when
// its stamp is the recorded one or, for a record saved while Writing, when
// it only moved forward as our own writes would move it: same size (or
// created since, at its full length) and an mtime no older than recorded.
func (r *Resume) Reconcile(info *Info, now []FileStamp) (keep Bitfield, recheck []Index) {
	n := info.NumPieces()
	keep = NewBitfield(n)
	for i := range n {
		if r.Have.Has(i) {
			keep.Set(i)
		}
	}
	if len(now) != len(r.Files) {
		return NewBitfield(n), allIndexes(n)
	}
	marked := NewBitfield(n)
	for f, was := range r.Files {
		is := now[f]
		if was.Size == is.Size && was.ModTime.Equal(is.ModTime) {
			continue
		}
		if r.Writing && (was.Size == is.Size || was.Size == -1) && is.Size == info.Files[f].Length &&
			!is.ModTime.Before(was.ModTime) {
			continue
		}
		first, end := info.PiecesOf(f)
		for i := first; i < end; i++ {
			keep.Clear(i)
			if !marked.Has(i) {
				marked.Set(i)
				recheck = append(recheck, i)
			}
		}
	}
	return keep, recheck
}

func allIndexes(n int) []Index {
	out := make([]Index, n)
	for i := range out {
		out[i] = i
	}
	return out
}
