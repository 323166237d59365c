# Makes a .torrent with libtorrent's own create_torrent, so tests can check
# shoal against an independent implementation of BEP 52 and BEP 47.
# usage: make_torrent.py PATH OUT v1|v2|hybrid PIECE_LENGTH
# prints: v1-infohash-hex-or-"-" v2-infohash-hex-or-"-"
import os
import sys

import libtorrent as lt

path, out, fmt, piece_length = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
fs = lt.file_storage()
lt.add_files(fs, path)
flags = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0}[fmt]
ct = lt.create_torrent(fs, piece_length, flags)
lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(path)))
with open(out, "wb") as f:
    f.write(lt.bencode(ct.generate()))
ih = lt.torrent_info(out).info_hashes()
print(str(ih.v1) if ih.has_v1() else "-", str(ih.v2) if ih.has_v2() else "-")
