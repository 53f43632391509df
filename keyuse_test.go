package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"holdfast/settings"
)

// Outside the settings package, work reads the settings from one typed snapshot
// (settings.Values), never a key by its name: a misspelt name would read nothing or a default,
// and a key read twice may change between the two reads. The Database Settings window edits
// every key by name (through settings.Keys and Lookup) and is the one exception. A key's name
// as a whole string literal anywhere else is such a lookup in the making.
func TestNoSettingsKeyByName(t *testing.T) {
	keys := map[string]bool{}
	for _, k := range settings.Keys {
		keys[k.Name] = true
	}
	allowed := map[string]bool{"ui/settingswin.go": true, "ui/logalerts.go": true}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (path == "settings" || strings.HasPrefix(d.Name(), ".") && path != ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || allowed[filepath.ToSlash(path)] {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && keys[s] {
					t.Errorf("%s: the settings key %q by name; read it from settings.Values", fset.Position(lit.Pos()), s)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
