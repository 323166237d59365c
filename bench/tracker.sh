#!/usr/bin/env bash
# bench/tracker.sh measures `shoal tracker` on 127.0.0.1: announces per second
# over UDP and over HTTP (keep-alive connections), and resident memory with
# TORRENTS x PEERS peers, then the same for Debian's opentracker (the anchor)
# when it is installed or installable, and prints a table.
#
# Both trackers run in allow-list mode over the same list, since Debian builds
# opentracker whitelist-only. Environment: TORRENTS (100000), PEERS (10),
# DURATION (10s per throughput run), WORKERS (16 sockets), SHOAL_BIN (use this
# binary instead of building ./cmd/shoal), PORT (16969; PORT+1 for opentracker).
set -euo pipefail
cd "$(dirname "$0")/.."

TORRENTS=${TORRENTS:-100000}
PEERS=${PEERS:-10}
DURATION=${DURATION:-10s}
WORKERS=${WORKERS:-16}
PORT=${PORT:-16969}
TMP=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

echo "Building shoal and the load generator..." >&2
if [[ -n "${SHOAL_BIN:-}" ]]; then
	cp "$SHOAL_BIN" "$TMP/shoal"
else
	go build -o "$TMP/shoal" ./cmd/shoal
fi
go build -o "$TMP/trackerload" ./bench/trackerload
LOAD="$TMP/trackerload"
"$LOAD" -mode hashes -torrents "$TORRENTS" >"$TMP/whitelist.txt"

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

wait_port() {
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "nothing listens on 127.0.0.1:$1" >&2
	return 1
}

ROWS=()
# measure NAME PORT PID: fill, then UDP and HTTP load, then memory.
measure() {
	local name=$1 port=$2 pid=$3
	wait_port "$port"
	"$LOAD" -mode probe -addr "127.0.0.1:$port"
	local rss0 rss1 rss2 fill udp http httpc
	rss0=$(rss_kib "$pid")
	echo "$name: filling $TORRENTS torrents x $PEERS peers over UDP..." >&2
	fill=$("$LOAD" -mode fill -addr "127.0.0.1:$port" -torrents "$TORRENTS" -peers "$PEERS" -workers 8)
	echo "  $fill" >&2
	rss1=$(rss_kib "$pid")
	echo "$name: UDP announces for $DURATION..." >&2
	udp=$("$LOAD" -mode udp -addr "127.0.0.1:$port" -torrents "$TORRENTS" -peers "$PEERS" -workers "$WORKERS" -duration "$DURATION")
	echo "  $udp" >&2
	echo "$name: HTTP announces for $DURATION..." >&2
	http=$("$LOAD" -mode http -addr "127.0.0.1:$port" -torrents "$TORRENTS" -peers "$PEERS" -workers $((WORKERS * 2)) -duration "$DURATION")
	echo "  $http" >&2
	echo "$name: HTTP announces, a new connection each, for $DURATION..." >&2
	httpc=$("$LOAD" -mode http -close -addr "127.0.0.1:$port" -torrents "$TORRENTS" -peers "$PEERS" -workers $((WORKERS * 2)) -duration "$DURATION")
	echo "  $httpc" >&2
	rss2=$(rss_kib "$pid")
	local peers answers reconnects keepalive
	peers=$(echo "$fill" | field announced)
	answers=$(echo "$http" | field answers)
	reconnects=$(echo "$http" | field reconnects)
	keepalive=yes
	if ((reconnects * 2 > answers)); then keepalive=no; fi
	ROWS+=("$(printf '%-12s %10s %10s %10s %12s %8d %8d %8d %9d' "$name" \
		"$(echo "$udp" | field rate)" "$(echo "$http" | field rate)" "$keepalive" "$(echo "$httpc" | field rate)" \
		$((rss0 / 1024)) $((rss1 / 1024)) $((rss2 / 1024)) $(((rss1 - rss0) * 1024 / peers)))")
}

"$TMP/shoal" tracker --http "127.0.0.1:$PORT" --udp "127.0.0.1:$PORT" --allow "$TMP/whitelist.txt" \
	--rate 0 --state "" --interval 30m --min-interval 1s --max-numwant 50 --log-level error >"$TMP/shoal.log" 2>&1 &
PIDS+=($!)
measure shoal "$PORT" "$!"
kill "${PIDS[0]}"

OT=""
if command -v opentracker >/dev/null; then
	OT=$(command -v opentracker)
elif [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
	apt-get update -qq >/dev/null 2>&1 || true
	if apt-cache policy opentracker 2>/dev/null | grep -q 'Candidate: [0-9]'; then
		echo "Installing Debian's opentracker for the comparison..." >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq opentracker >/dev/null 2>&1 && OT=$(command -v opentracker)
	fi
fi
if [[ -n "$OT" ]]; then
	OTPORT=$((PORT + 1))
	# opentracker chroots to -d and drops to user nobody before it reads
	# the whitelist, so the list lives in a world-readable folder and its
	# path is given from inside the chroot.
	mkdir -p "$TMP/ot"
	cp "$TMP/whitelist.txt" "$TMP/ot/whitelist.txt"
	chmod 755 "$TMP" "$TMP/ot"
	chmod 644 "$TMP/ot/whitelist.txt"
	echo "access.whitelist /whitelist.txt" >"$TMP/ot/opentracker.conf"
	"$OT" -i 127.0.0.1 -p "$OTPORT" -P "$OTPORT" -d "$TMP/ot" -f "$TMP/ot/opentracker.conf" >"$TMP/opentracker.log" 2>&1 &
	PIDS+=($!)
	measure opentracker "$OTPORT" "$!"
	kill "${PIDS[1]}"
else
	echo "opentracker is not installed and not installable from apt here: no comparison." >&2
fi

echo
echo "Tracker benchmark: $TORRENTS torrents x $PEERS peers on 127.0.0.1, $(nproc) CPUs, load generator on the same machine"
printf '%-12s %10s %10s %10s %12s %8s %8s %8s %9s\n' tracker "UDP ann/s" "HTTP ann/s" keep-alive "HTTP close/s" "RSS0 MiB" "RSSf MiB" "RSSl MiB" bytes/peer
for r in "${ROWS[@]}"; do echo "$r"; done
echo "HTTP ann/s: keep-alive connections where the tracker keeps them open; HTTP close/s: a new TCP connection per announce."
echo "RSS0: idle with the allow-list loaded; RSSf: after the fill; RSSl: after the load runs."
echo "bytes/peer = (RSSf - RSS0) / peers: store plus swarm overhead, as the kernel sees it."
