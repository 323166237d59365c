# Loads a .torrent with libtorrent and checks the data under SAVE_PATH
# against it (SHA-1 pieces for v1 and hybrid, Merkle trees for v2), with no
# network: listens on loopback only, no DHT, LSD, UPnP or NAT-PMP.
# usage: check_torrent.py TORRENT SAVE_PATH
# prints: v1-infohash-hex-or-"-" v2-infohash-hex-or-"-" PIECES_HAVE PIECES_TOTAL
import sys
import time

import libtorrent as lt

torrent, save_path = sys.argv[1], sys.argv[2]
ti = lt.torrent_info(torrent)
ses = lt.session({
    "listen_interfaces": "127.0.0.1:0",
    "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
    "alert_mask": lt.alert.category_t.status_notification | lt.alert.category_t.error_notification,
})
h = ses.add_torrent({"ti": ti, "save_path": save_path})
deadline = time.time() + 120
checked = False
while not checked and time.time() < deadline:
    ses.wait_for_alert(500)
    checked = any(isinstance(a, lt.torrent_checked_alert) for a in ses.pop_alerts())
if not checked:
    sys.exit("libtorrent did not finish checking in 120 s")
s = h.status()
ih = ti.info_hashes()
print(str(ih.v1) if ih.has_v1() else "-", str(ih.v2) if ih.has_v2() else "-", s.num_pieces, ti.num_pieces())
