package ui

import (
	"fmt"
	"os"
	"testing"
)

// TestMain runs the ui tests while holding uiRoot's lock: two runs at once (two checkouts)
// would otherwise share the folders of uiTempDir.
func TestMain(m *testing.M) {
	unlock, err := lockUIRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ui tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	unlock()
	os.Exit(code)
}
