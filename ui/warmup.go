package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
)

// withWarmUp lays two gradients of 2 by 2 pixels, all but invisible, under obj. A dialog's
// shadow is drawn with gradients stretched from small textures; with the software OpenGL of a
// virtual display (Mesa), the first such draw in a window compiles its code path, and that
// first frame took 100 to 200 ms (bench/results.md). Drawn when the window first shows, the
// cost is paid then, not in the first frame of a backup's progress, while the window must
// answer.
func withWarmUp(obj fyne.CanvasObject) fyne.CanvasObject {
	faint := color.NRGBA{A: 1}
	lin := canvas.NewVerticalGradient(faint, color.Transparent)
	hor := canvas.NewHorizontalGradient(color.Transparent, faint)
	rad := canvas.NewRadialGradient(faint, color.Transparent)
	warm := container.NewWithoutLayout(lin, hor, rad)
	for _, g := range []fyne.CanvasObject{lin, hor, rad} {
		g.Resize(fyne.NewSize(2, 2))
	}
	return container.NewStack(warm, obj)
}
