package settings

import (
	"errors"
	"fmt"
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
