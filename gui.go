package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"holdfast/backup"
	"holdfast/engine"
	"holdfast/ui"
)

// runGUI opens the window on dir; with no dir, on the last database used, or on a demo
// database created in the user's data folder the first time.
func runGUI(dir string) error {
	if err := ui.CheckDisplay(); err != nil {
		return &engine.Error{Code: engine.CodeNoDisplay, Err: err}
	}
	if dir == "" {
		var err error
		if dir, err = defaultDatabase(); err != nil {
			return err
		}
	}
	db, _, err := backup.OpenOrRepair(context.Background(), dir, engine.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	rememberDatabase(db.Dir())
	var parts []string
	for _, t := range db.Catalog().Tables {
		n, _ := db.Count(t.Name)
		parts = append(parts, fmt.Sprintf("%s: %d", t.Name, n))
	}
	status := "No tables yet."
	if len(parts) > 0 {
		status = strings.Join(parts, "   ")
	}
	return ui.Run(ui.Config{DBPath: db.Dir(), Name: db.Name(), Status: status, DB: db, StatusEvery: 3 * time.Second})
}

func stateDir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", &engine.Error{Code: engine.CodeUsage, Err: err}
	}
	return filepath.Join(base, "Holdfast"), nil
}

// defaultDatabase is the last database opened, or the demo database (created if needed).
func defaultDatabase() (string, error) {
	sd, err := stateDir()
	if err != nil {
		return "", err
	}
	if b, err := os.ReadFile(filepath.Join(sd, "last-database")); err == nil {
		if p := strings.TrimSpace(string(b)); p != "" {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	data, err := os.UserHomeDir()
	if err != nil {
		return "", &engine.Error{Code: engine.CodeUsage, Err: err}
	}
	demo := filepath.Join(data, ".local", "share", "Holdfast", "Demo")
	if _, err := os.Stat(demo); errors.Is(err, os.ErrNotExist) {
		db, err := engine.Create(demo, engine.Options{})
		if err != nil {
			return "", err
		}
		err = engine.FillDemo(db)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", err
		}
	}
	return demo, nil
}

func rememberDatabase(dir string) {
	sd, err := stateDir()
	if err == nil && os.MkdirAll(sd, 0o700) == nil {
		os.WriteFile(filepath.Join(sd, "last-database"), []byte(dir+"\n"), 0o600)
	}
}
