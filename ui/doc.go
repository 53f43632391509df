// Package ui holds Holdfast's Fyne windows and widgets. Together with dialogs/
// it is the only package that imports Fyne; the engine, journal and backup
// packages below it know nothing about windows.
//
// Threading: every widget is created and changed on the Fyne thread. Code
// running on another goroutine hands its updates over with fyne.Do or
// fyne.DoAndWait; nothing in this package is safe to touch from other
// goroutines directly.
//
// Run needs an X11 or Wayland display; call CheckDisplay first to turn a
// missing display into a readable error instead of a driver panic. Tests build
// windows with NewMainWindow on the fyne.io/fyne/v2/test driver, which needs
// no display.
package ui
