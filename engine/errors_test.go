package engine

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// Every code is documented in the README's table, and no two rows share a code.
func TestCodesDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[Code]bool{}
	for _, c := range Codes {
		if seen[c.Code] {
			t.Errorf("code %d twice in the table", c.Code)
		}
		seen[c.Code] = true
		if !strings.Contains(string(readme), "| "+strconv.Itoa(int(c.Code))+" | "+c.Name+" | "+c.Sentence+" |") {
			t.Errorf("code %d (%s) is not documented as it is in the README", c.Code, c.Name)
		}
	}
}
