package pieces

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// Journal is an append-only list of the pieces verified since the last
// resume record, one small write per piece. Resume records are written a
// few times a second at most; the journal closes the gap, so a killed
// process forgets no verified piece: the kernel keeps a write(2) that
// returned, and every piece's data was written before it was verified.
//
// Like a fast resume record, a journal is only good for the boot that
// wrote it (its writes are never synced): ReadJournal ignores one from
// another boot.
//
// Layout: magic "SHOALJNL" | boot id len u8 | boot id | CRC-32C u32 of the
// header, then entries of (index u32, CRC-32C u32 of the index and the
// header's checksum). A torn or garbage entry ends the journal.
type Journal struct {
	f    *os.File
	salt uint32
	buf  [8]byte
}

const journalMagic = "SHOALJNL"

// CreateJournal starts an empty journal at path for boot, replacing any
// journal there (whose pieces the caller has read and recorded already).
func CreateJournal(path, boot string) (*Journal, error) {
	if boot == "" || len(boot) > 255 {
		return nil, fmt.Errorf("journal: boot id %q", boot)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	hdr := append([]byte(journalMagic), byte(len(boot)))
	hdr = append(hdr, boot...)
	salt := crc32.Checksum(hdr, castagnoli)
	hdr = binary.BigEndian.AppendUint32(hdr, salt)
	if _, err := f.Write(hdr); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	return &Journal{f: f, salt: salt}, nil
}

// Add records that piece i passed its hash. One write, no sync.
func (j *Journal) Add(i Index) error {
	binary.BigEndian.PutUint32(j.buf[:4], uint32(i))
	binary.BigEndian.PutUint32(j.buf[4:], entrySum(uint32(i), j.salt))
	if _, err := j.f.Write(j.buf[:]); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// Close closes the journal file; it stays on disk for ReadJournal.
func (j *Journal) Close() error { return j.f.Close() }

func entrySum(i, salt uint32) uint32 {
	var b [8]byte
	binary.BigEndian.PutUint32(b[:4], i)
	binary.BigEndian.PutUint32(b[4:], salt)
	return crc32.Checksum(b[:], castagnoli)
}

// ErrJournalOtherBoot says a journal was written before the machine last
// restarted: its unsynced writes may not have reached the disk.
var ErrJournalOtherBoot = errors.New("journal from another boot")

// maxJournal bounds what ReadJournal reads: an entry per piece, each piece
// verified a few times at most.
const maxJournal = 8 + 1 + 255 + 4 + 4*8*MaxPieces

// ReadJournal returns the pieces (below numPieces) the journal at path
// lists, if it was written during boot. It stops at the first torn or
// garbage entry: what came before is still good. A missing file gives an
// error wrapping fs.ErrNotExist.
func ReadJournal(path, boot string, numPieces int) ([]Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxJournal))
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return decodeJournal(b, boot, numPieces)
}

func decodeJournal(b []byte, boot string, numPieces int) ([]Index, error) {
	if len(b) < len(journalMagic)+1 || string(b[:len(journalMagic)]) != journalMagic {
		return nil, fmt.Errorf("%w: not a shoal journal", ErrBadResume)
	}
	n := int(b[len(journalMagic)])
	end := len(journalMagic) + 1 + n
	if len(b) < end+4 {
		return nil, fmt.Errorf("%w: journal header torn", ErrBadResume)
	}
	salt := binary.BigEndian.Uint32(b[end:])
	if crc32.Checksum(b[:end], castagnoli) != salt {
		return nil, fmt.Errorf("%w: journal header corrupt", ErrBadResume)
	}
	if boot == "" || string(b[len(journalMagic)+1:end]) != boot {
		return nil, ErrJournalOtherBoot
	}
	var out []Index
	for rest := b[end+4:]; len(rest) >= 8; rest = rest[8:] {
		i := binary.BigEndian.Uint32(rest)
		if binary.BigEndian.Uint32(rest[4:]) != entrySum(i, salt) || int64(i) >= int64(numPieces) {
			break
		}
		out = append(out, int(i))
	}
	return out, nil
}
