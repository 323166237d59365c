// Package pieces is shoal's content layer: metainfo (BEP 3 .torrent files
// and info dicts, BEP 9 magnet links, BEP 12 announce-list, BEP 19 web
// seeds (url-list and ws=), BEP 27 private flag, BEP 47 pad files, BEP 52
// v2 and hybrid torrents with their per-file SHA-256 Merkle trees), the BEP
// 3 bitfield, on-disk storage, parallel hashing and torrent creation,
// BLAKE3 file digests and fast-resume state.
// It imports no other shoal package.
//
// # Validation
//
// Everything that arrives from outside (a .torrent file, an info dict fetched
// from peers over ut_metadata, a magnet link, a resume file) is treated as
// hostile. ParseInfo rejects, with an error that wraps ErrBadTorrent (and
// ErrUnsafePath for path problems) and names the offending field:
//
//   - names and path components that are empty, "." or "..", contain '/',
//     '\\', NUL or other control characters, are not valid UTF-8, are longer
//     than 255 bytes, start with a Windows drive letter ("C:") or are a
//     Windows device name (CON, NUL, COM1, ...; with or without extension).
//     The same rules apply on every OS so that a torrent is valid everywhere
//     or nowhere;
//   - duplicate file paths, and a file whose path is also a directory of
//     another file (BEP 47 pad files are exempt: they never touch the disk);
//   - negative lengths, a total that overflows int64, a total of zero bytes;
//   - a piece length that is not a positive multiple of 16 KiB or exceeds
//     64 MiB (power of two is conventional, but any multiple of the block
//     size splits cleanly into requests, so we accept it);
//   - a pieces string whose length is not 20 × ceil(total/pieceLength);
//   - more than MaxInfoBytes of info dict, MaxPieces pieces, MaxFiles files,
//     MaxPathDepth components per path; bencode nested deeper than
//     maxBencodeDepth or with duplicate dict keys (which would let two
//     clients read different files out of one infohash);
//   - for v2 and hybrid torrents ("meta version" 2): a "file tree" with an
//     empty name, a folder that is also a file or is empty, a file with no
//     length, or a non-empty file whose "pieces root" is missing or not 32
//     bytes; a piece length that is not a power of two; "piece layers" whose
//     key is not the root of a file longer than a piece, whose length is not
//     32 bytes per piece, or that do not hash up to their root; and a
//     hybrid whose v1 files (pad files aside) are not the v2 files in the
//     same order and lengths, or whose non-empty files do not each start on
//     a piece. The same name rules apply to every file tree component.
//
// Storage checks again at open time (defence in depth): every file is opened
// for writing through an os.Root rooted at the download directory, so no
// path, and no symlink planted inside the directory, can make a write land
// outside it (a write that would is refused with a *SymlinkError naming the
// link). Reads follow symlinks the user placed, also to outside the
// directory: seeding a folder shares what its links show.
//
// Writes past the page cache: WriteBuffersDirect writes an aligned run
// through the file's O_DIRECT twin and waits for it; an AsyncDirect
// (storage_async.go) queues such a run on an io_uring (internal/uring)
// and its owner collects it later. While its write is in flight an
// AsyncDirect holds the file's handle and the part lock for reading, so
// Close and a file's parting wait for it; it belongs to one goroutine,
// which finishes the write before any other call on the Storage.
//
// # Skipped files
//
// A file the user skipped is never created. A piece it shares with a
// wanted file must still be whole to be hashed and served, so its part of
// such a piece goes to the torrent's part file (Storage.SetPartFile,
// storage_part.go), one hidden file in the download directory; selecting
// the file later moves those bytes into it, and the part file goes once no
// file needs it. A skipped file already on disk is written in place.
//
// # BitTorrent v2
//
// A v2 or hybrid Info has MetaVersion 2 and each non-empty file's Root; a
// Torrent adds InfoHashV2 and the PieceLayers it carried. A v2-only
// torrent has no SHA-1 Hashes; its Files are laid out with pad files as a
// hybrid's v1 half is, so piece arithmetic and storage treat all three
// alike, and its InfoHash is the v2 infohash truncated to 20 bytes, as the
// wire uses it. merkle.go has the BEP 52 tree: 16 KiB SHA-256 leaves, a
// file's tree as wide as the next power of two (zero leaves beyond the
// end), piece layers padded with the hash of an all-zero piece.
// hashmsg.go parses the BEP 52 hash request, hashes and hash reject
// messages; merkleproof.go makes the requests that fetch a file's piece
// layer (LayerRequests), answers such a request with its uncle hashes
// (ServeHashes) and checks an answer against a file's root
// (VerifyHashes). Proof layers count as libtorrent counts them.
//
// # Reuse
//
// reuse.go finds files on disk with a wanted file's identity (its length,
// then its v2 root or BLAKE3 digest): files of torrents the user shares,
// whose identity their torrents state (KnownFile, no hashing), and regular
// files in folders the user names, of which only those of a wanted length
// are read; symbolic links there are not followed. reuse_place.go puts one
// in place under the download directory (through an os.Root, never over a
// file already there): a reflink (FICLONE) where the file system can, a
// hard link only when asked, else a copy (copy_file_range). Placed bytes
// still go through the piece check before they count.
//
// # BLAKE3
//
// Torrents made by Create carry a BLAKE3-256 digest of each file under the
// key "blake3" (32 raw bytes): in each entry of "files" for a multi-file
// torrent, and in the info dict itself for a single-file torrent. Other
// clients ignore unknown keys, and since the digest is inside the info dict
// it is covered by the infohash. VerifyBlake3 checks them end to end.
package pieces
