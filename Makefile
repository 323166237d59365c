# shoal's everyday commands. Only Go is needed for demo, build and test;
# the interop tests use aria2c and tmux when they are installed (.ci/run
# installs them) and skip with a message otherwise.
GO ?= go
BIN := bin/shoal

.PHONY: demo build test race vet fuzz soak bench golden lint clean

demo: build
	$(BIN) demo

build:
	$(GO) build -o $(BIN) ./cmd/shoal

test: vet
	$(GO) test -race -count=1 -timeout 15m ./...

vet:
	$(GO) vet ./...

# Each fuzz target for 30 s (FUZZTIME to change); the seed corpora also run
# in every plain 'go test'.
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; \
	  done; \
	done

soak:
	FUZZTIME=5m $(MAKE) fuzz

bench: build
	bash bench/run.sh

golden:
	$(GO) test ./tui -update

lint: vet
	$(GO) run honnef.co/go/tools/cmd/staticcheck@latest ./...

clean:
	rm -rf bin bench/out
