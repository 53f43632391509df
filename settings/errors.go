package settings

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrUnknownKey: a key that is not in the table of S7.
	ErrUnknownKey = errors.New("settings: unknown key")
	// ErrInvalidValue: a value outside what its key accepts.
	ErrInvalidValue = errors.New("settings: invalid value")
	// ErrMalformed: a settings file that is not well-formed XML of the expected shape.
	ErrMalformed = errors.New("settings: malformed file")
)

// ErrSchedule: scheduler keys whose values are each valid but that together do not say when to
// run (a custom schedule with no interval, or with several).
var ErrSchedule = errors.New("settings: unclear schedule")

// ValueError says which key refused which value and what it accepts.
type ValueError struct {
	Key, Value string
	Want       string // what the key accepts, in words
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("settings: %s cannot be %q: it must be %s", e.Key, e.Value, e.Want)
}

// Unwrap makes errors.Is(err, ErrInvalidValue) true.
func (e *ValueError) Unwrap() error { return ErrInvalidValue }

// Problem is a known key whose value in the file is not one it accepts. Until it is replaced
// the key reads as its default, and the work that needs it refuses to start (Need).
type Problem struct {
	Key, Value string
	Line       int    // the line of the key's element (or of the item) in the file
	Want       string // what the key accepts, in words
	Default    string // what the key reads as meanwhile
	List       bool   // one value of a list key: it is removed rather than replaced
}

func (p Problem) Error() string { return p.text(p.Fix()) }

// WindowText is the problem as the window says it, with WindowFix.
func (p Problem) WindowText() string { return p.text(p.WindowFix()) }

func (p Problem) text(fix string) string {
	return fmt.Sprintf("settings: %s on line %d of %s is %q, but it must be %s; %s",
		p.Key, p.Line, FileName, p.Value, p.Want, fix)
}

// Unwrap makes errors.Is(err, ErrInvalidValue) true.
func (p Problem) Unwrap() error { return ErrInvalidValue }

// Fix says what to run, or where to click, to put a valid value in place of the bad one; it is
// the command line's (WindowFix is the window's).
func (p Problem) Fix() string {
	switch {
	case p.List:
		return fmt.Sprintf("remove it in the window (File > Database Settings...) or with holdfast settings DB remove %s %q", p.Key, p.Value)
	case p.Key == "log.use":
		return "replace it with holdfast settings DB set log.use true (or false, if the log was off)"
	case p.Key == "log.path":
		return "replace it with holdfast settings DB set log.path FILE (where the log file is)"
	}
	return fmt.Sprintf("replace it in the window (File > Database Settings...) or with holdfast settings DB set %s VALUE", p.Key)
}

// WindowFix is Fix for the window: where to click only.
func (p Problem) WindowFix() string {
	switch {
	case p.List:
		return "remove it in File > Database Settings... (select it and click Delete, then OK)"
	case p.Key == "log.use":
		return "replace it in File > Database Settings... > Configuration: tick Use Log if the log was on, untick it if it was off, then click OK"
	case p.Key == "log.path":
		return "replace it in File > Database Settings... > Configuration: choose the Log file where the log file is, then click OK"
	}
	return "replace it in File > Database Settings... (shown in red there), then click OK"
}

// BadValues is the error of Need: the keys the work needs whose values in the file are not
// valid, in the order of the file.
type BadValues []Problem

func (b BadValues) Error() string {
	if len(b) == 1 {
		return b[0].Error()
	}
	return b.text("replace each in the window (File > Database Settings...) or with holdfast settings DB set KEY VALUE")
}

// WindowText is the error as the window says it: where to click only.
func (b BadValues) WindowText() string {
	if len(b) == 1 {
		return b[0].WindowText()
	}
	return b.text("replace each in File > Database Settings... (shown in red there), then click OK")
}

func (b BadValues) text(fix string) string {
	parts := make([]string, len(b))
	for i, p := range b {
		parts[i] = fmt.Sprintf("%s on line %d is %q, but it must be %s", p.Key, p.Line, p.Value, p.Want)
	}
	return fmt.Sprintf("settings: in %s, %s; %s", FileName, strings.Join(parts, "; "), fix)
}

// Unwrap makes errors.Is(err, ErrInvalidValue) true.
func (b BadValues) Unwrap() error { return ErrInvalidValue }
