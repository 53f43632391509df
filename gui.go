package main

import (
	"errors"
	"os"
	"path/filepath"

	"holdfast/engine"
	"holdfast/ui"
)

// runGUI opens the window on dir; with no dir, on the last database used, or on a demo
// database created in the user's data folder the first time. A folder that holds no database
// is refused before any window opens, so that a script sees the error.
func runGUI(dir string) error {
	if err := ui.CheckDisplay(); err != nil {
		return &engine.Error{Code: engine.CodeNoDisplay, Err: err}
	}
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "Data")); err != nil {
			return &engine.Error{Code: engine.CodeNotDatabase, Op: "open", Path: dir,
				Err: errors.New("no Data folder there; create a database with holdfast create DB")}
		}
	}
	return ui.Run(dir)
}
