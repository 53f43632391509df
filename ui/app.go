package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"holdfast/assets"
	_ "holdfast/ui/internal/localefix" // before Fyne initializes: see its doc
)

// AppID is the application identifier, the same as in FyneApp.toml. Fyne uses
// it to name the folder where it keeps preferences.
const AppID = "app.holdfast.desktop"

// Config is what the caller tells the main window about the open database.
type Config struct {
	// DBPath is the database folder, shown in full.
	DBPath string
	// Name is the database name; the window is titled "Holdfast - Name".
	Name string
	// Status is a one-line summary, such as the tables and record counts.
	Status string
}

// Icon returns the application icon as a Fyne resource.
func Icon() fyne.Resource {
	return fyne.NewStaticResource("icon.png", assets.Icon)
}

// Run opens the main window for cfg and blocks until the user closes it.
// It needs a display: see CheckDisplay.
func Run(cfg Config) error {
	if err := CheckDisplay(); err != nil {
		return err
	}
	a := app.NewWithID(AppID)
	a.SetIcon(Icon())
	NewMainWindow(a, cfg).ShowAndRun()
	return nil
}

// NewMainWindow builds the main window of a, titled "Holdfast - Name", without
// showing it. Call it on the Fyne thread.
func NewMainWindow(a fyne.App, cfg Config) fyne.Window {
	w := a.NewWindow(windowTitle(cfg.Name))
	w.SetIcon(Icon())

	path := widget.NewLabel("Database: " + cfg.DBPath)
	path.Truncation = fyne.TextTruncateEllipsis
	status := widget.NewLabel(cfg.Status)
	status.Wrapping = fyne.TextWrapWord

	w.SetContent(container.NewVBox(path, widget.NewSeparator(), status))
	w.Resize(fyne.NewSize(900, 600))
	w.SetMaster()
	return w
}

func windowTitle(name string) string {
	return "Holdfast - " + name
}
