package ui

import (
	"errors"
	"os"
)

// ErrNoDisplay is returned by CheckDisplay when neither an X11 nor a Wayland
// display is available.
var ErrNoDisplay = errors.New("no display: Holdfast's window needs an X11 or Wayland display; " +
	"run the command-line subcommands instead, or start the window under Xvfb: " +
	"Xvfb :99 & DISPLAY=:99 holdfast gui DB")

// CheckDisplay reports ErrNoDisplay when neither DISPLAY nor WAYLAND_DISPLAY
// is set. Without one, the window driver panics at start-up, so callers check
// before Run.
func CheckDisplay() error {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return ErrNoDisplay
	}
	return nil
}
