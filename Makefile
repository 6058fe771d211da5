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

# Fyne reads the locale while the program initialises, before main can
# correct a C or C.UTF-8 locale (it corrects LANG=C itself); give it a
# Japanese one from the start.
run: build
	@case "$${LC_ALL:-$${LANG:-C}}" in C|C.*|POSIX) export LANG=ja_JP.UTF-8 LC_ALL= ;; esac; ./madoguchi

test: deps
	scripts/test.sh

bench: deps
	scripts/test.sh -bench

# Windows: a GUI-subsystem madoguchi.exe with icon and version metadata,
# cross-built with mingw-w64 (deps --windows installs it and Wine).
.PHONY: deps-windows windows windows-check windows-zip
deps-windows:
	@scripts/deps.sh --windows

windows: deps-windows
	scripts/windows-build.sh

# Tests of the packages that need no display, run as Windows programs
# under Wine (see README, "Windows").
windows-check: deps-windows
	scripts/windows-check.sh

windows-zip: windows
	scripts/windows-zip.sh

# Linux: install the program, desktop entry and icon under
# $(DESTDIR)$(PREFIX); dist packs the same tree into a tarball.
PREFIX ?= /usr/local
.PHONY: install dist
install: build
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" scripts/install.sh

dist: build
	scripts/dist.sh
