# shoal's everyday commands. Only Go is needed for demo, build and test;
# the interop tests use aria2c and tmux when they are installed (.ci/run
# installs them) and skip with a message otherwise.
GO ?= go
BIN := bin/shoal

.PHONY: demo build test race vet fuzz soak bench golden lint clean

demo: build
	$(BIN) demo

# The commit goes into `shoal version` by -X as well as by VCS stamping,
# which GOFLAGS=-buildvcs=false (or a tree go cannot read) turns off.
build:
	$(GO) build -ldflags "-X main.commit=$$(git rev-parse HEAD 2>/dev/null)" -o $(BIN) ./cmd/shoal

# Every test with the race detector, then every fuzz target for a few
# seconds (bench/fuzz-smoke.sh; about 1.5 min on 2 cores).
test: vet
	$(GO) test -race -count=1 -timeout 15m ./...
	GO=$(GO) FUZZTIME=3s bash bench/fuzz-smoke.sh

# Also as Windows and macOS builds, so code only Linux has (flock,
# rlimits, statfs, access) stays behind a file per system. The bench
# programs are Linux-only and left out there.
vet:
	$(GO) vet ./...
	GOOS=windows $(GO) vet ./...
	GOOS=darwin $(GO) vet ./...

# Each fuzz target for 30 s (FUZZTIME to change); the seed corpora also run
# in every plain 'go test'.
FUZZTIME ?= 30s
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash bench/fuzz-smoke.sh

# The long loops: 200 kill -9 restarts of a real download, then every fuzz
# target for 5 minutes.
soak:
	SHOAL_CRASH_KILLS=200 $(GO) test ./cmd/shoal -run '^TestCrash_' -count=1 -timeout 60m -v
	SHOAL_HOSTILE_ROUNDS=20000 $(GO) test ./swarm -run '^TestHostileLeecher_RandomMessages$$' -count=5 -timeout 60m
	GO=$(GO) FUZZTIME=5m bash bench/fuzz-smoke.sh

# Figures, never assertions (bench/run.sh): 1 GiB over loopback cold (after
# 15 s idle) and warm, v1/v2/hybrid creation and a v2-only download, the Toxiproxy real-network scenarios, the tracker,
# and DHT lookups up to a 10,000-node churning DHT. Each figure names the
# commit and its settle time. BENCH_ROUNDS, BENCH_MIB, BENCH_NET_MIB, BENCH_SWARM_MIB,
# BENCH_DHT_NODES make a run smaller.
bench: build
	bash bench/run.sh

golden:
	$(GO) test ./tui -update

lint: vet
	$(GO) run honnef.co/go/tools/cmd/staticcheck@latest ./...

clean:
	rm -rf bin bench/out
