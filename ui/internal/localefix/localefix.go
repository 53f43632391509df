// Package localefix keeps Fyne from logging "Error parsing user locale" at start-up when the
// locale is C.UTF-8 (or POSIX.UTF-8), common on servers and in containers: Fyne's locale
// library passes "C.UTF-8" to a BCP 47 parser, which refuses it, and it does so while Fyne's
// packages initialize, before main runs. That noise would land on the stderr of every command,
// ahead of the "error CODE: ..." line scripts read.
//
// The fix sets LANGUAGE=en, which that library reads first and which the C locale's programs
// ignore, and only when LANGUAGE is unset and the locale is a C variant. It must run before
// Fyne's packages initialize: Go initializes a package once its imports are, taking the first
// such package in import-path order, and this one imports only syscall and sorts before
// everything Fyne needs that is not yet initialized ("holdfast/..." < "image", "os", ...).
// Import it, for its side effect, from the package that imports Fyne.
package localefix

import "syscall"

func init() {
	if v, ok := syscall.Getenv("LANGUAGE"); ok && v != "" {
		return
	}
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v, _ := syscall.Getenv(name)
		if v == "" {
			continue
		}
		if len(v) > 2 && (v[:2] == "C." || (len(v) > 6 && v[:6] == "POSIX.")) {
			syscall.Setenv("LANGUAGE", "en")
		}
		return
	}
}
