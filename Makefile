# Holdfast build, run and test entry points. `make run` and `make test` work on a
# fresh Debian machine: `deps` installs whatever system packages are missing.

GO         ?= go
BIN        ?= bin/holdfast
BENCHFLAGS ?= -benchtime=1x -timeout 60m
FUZZTIME   ?= 30s
TESTFLAGS  ?= -race -count=1 -timeout 30m

# Debian packages: a C toolchain and X11/GL headers for Fyne (GLFW), GTK3 for the
# native file dialogs, Xvfb and xdotool for the headless window tests, sqlite3 and
# zstd as reference tools for benchmarks, unzip to check archives open with a standard tool,
# strace to kill the command at a chosen system call in the crash tests.
DEB_PACKAGES := gcc libc6-dev pkg-config libgl1-mesa-dev libxcursor-dev libxrandr-dev \
	libxinerama-dev libxi-dev libxxf86vm-dev libgtk-3-dev xvfb xauth xdotool sqlite3 zstd unzip strace

# Quiet known noise: Fyne cannot parse C.UTF-8, and GTK warns without dconf.
TEST_ENV := LANG=C GSETTINGS_BACKEND=memory

.PHONY: all deps build run test bench fuzz goldens clean

all: build

deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing missing packages:$$missing"; \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y --no-install-recommends $$missing; \
	fi

build:
	$(GO) build -o $(BIN) .

run: deps build
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
		echo "Holdfast's window needs a display, and neither DISPLAY nor WAYLAND_DISPLAY is set."; \
		echo "To run it headless, start a virtual X server first:"; \
		echo "  Xvfb :99 -screen 0 1280x800x24 & DISPLAY=:99 make run"; \
		exit 1; \
	fi
	$(TEST_ENV) ./$(BIN)

test: deps
	$(GO) vet ./...
	$(TEST_ENV) $(GO) test $(TESTFLAGS) ./...

bench: deps
	$(TEST_ENV) $(GO) test -run '^$$' -bench . $(BENCHFLAGS) ./...

fuzz: deps
	@set -e; \
	for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list 'Fuzz.*' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
			$(TEST_ENV) $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# Rewrite the windows' goldens (ui/testdata/ui/*.xml) and their captures (*.png) after a wanted
# change of a window: look at the captures, then commit both. make test compares the windows with
# the goldens and writes its captures to a temporary folder, leaving the work tree as it was.
goldens: deps
	$(TEST_ENV) $(GO) test -count=1 ./ui/ -update

clean:
	rm -rf bin
