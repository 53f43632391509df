package engine

import (
	"errors"
	"fmt"
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

// An error reads, for the command line, with the command of its advice and its code's
// sentence; for the window, with what to click, through every wrapping (%w, several %w, an
// *Error in an *Error).
func TestWindowText(t *testing.T) {
	advice := Advice{Command: "run holdfast backup DB", Window: "click File > Backup..."}
	inner := &Error{Code: CodeNoLog, Op: "new log file", Err: fmt.Errorf("the log waits; %w", advice)}
	outer := &Error{Code: CodeLogUnavailable, Op: "write", Err: fmt.Errorf("refused (%w) for now; %w", inner, errors.New("later"))}
	info, cause := CodeNoLog.Info(), CodeLogUnavailable.Info()
	if want := "write: refused (new log file: the log waits; run holdfast backup DB. " + info.Sentence + ") for now; later. " + cause.Sentence; outer.Error() != want {
		t.Errorf("the command line reads\n%s\nwant\n%s", outer.Error(), want)
	}
	if want := "write: refused (new log file: the log waits; click File > Backup.... " + info.Window + ") for now; later. " + cause.Sentence; WindowText(outer) != want {
		t.Errorf("the window reads\n%s\nwant\n%s", WindowText(outer), want)
	}
	if WindowText(nil) != "" || WindowText(ErrReadOnly) != ErrReadOnly.Error() {
		t.Error("an error without advice reads differently in the window")
	}
	if !errors.Is(outer, advice) || CodeOf(outer) != CodeLogUnavailable {
		t.Error("the advice hides the chain")
	}
}
