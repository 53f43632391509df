package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// lockingCalls are the engine's methods that can wait: for the database's write lock (which an
// integration, a backup's log switch or a checkpoint hold for long), for a read of the data
// file, or for the database to close.
var lockingCalls = map[string]bool{
	"LogStatus": true, "Report": true, "LastBackup": true, "NewProcess": true, "NewLogAllowed": true,
	"UpdateSettings": true, "Close": true, "StartLog": true, "StopLog": true, "NewLog": true,
	"Integrate": true, "IntegrateProgress": true, "CutClosedLogs": true, "BeginBackup": true,
	"Scan": true, "Count": true, "Get": true, "CreateTable": true, "CreateTableContext": true,
	"SetJournaled": true, "SetJournaledContext": true, "ChangedSinceBackup": true, "Check": true,
}

// Nothing handed to the Fyne thread (do, doWait) calls the database in a way that can wait:
// the window would freeze for as long. What it needs is read on the goroutine that hands the
// change over. (A check of the code, as the compiler cannot tell: a call of `.Close()` on a
// window is fine, so only calls on a value named db, or ending in .db or DB(), count.)
func TestNothingOnFyneThreadWaitsForDatabase(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); !ok || (id.Name != "do" && id.Name != "doWait") {
				return true
			}
			ast.Inspect(call.Args[0], func(n ast.Node) bool {
				c, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := c.Fun.(*ast.SelectorExpr)
				if ok && lockingCalls[sel.Sel.Name] && isDatabase(sel.X) {
					t.Errorf("%s: %s called on the Fyne thread (inside %s): it can wait for the database's lock",
						fset.Position(c.Pos()), sel.Sel.Name, call.Fun.(*ast.Ident).Name)
				}
				return true
			})
			return true
		})
	}
}

// isDatabase reports whether x names an *engine.DB the way this package does: db, x.db,
// x.DB().
func isDatabase(x ast.Expr) bool {
	switch e := x.(type) {
	case *ast.Ident:
		return e.Name == "db" || e.Name == "cur" || e.Name == "old"
	case *ast.SelectorExpr:
		return e.Sel.Name == "db"
	case *ast.CallExpr:
		sel, ok := e.Fun.(*ast.SelectorExpr)
		return ok && sel.Sel.Name == "DB"
	}
	return false
}
