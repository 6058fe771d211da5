# madoguchi — make deps | run | test | build
#
# deps installs the Debian packages the build, the card tests and the screen
# tests need, calling apt-get only when something is missing.

GO ?= go

.PHONY: deps run build test bench
deps:
	@scripts/deps.sh

build: deps
	$(GO) build -o madoguchi .

run: build
	./madoguchi

test: deps
	scripts/test.sh

bench: deps
	scripts/test.sh -bench
