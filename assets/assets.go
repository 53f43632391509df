// Package assets holds the files Holdfast embeds in its binary: for now the
// application icon. It imports no GUI toolkit, so any package may use it.
package assets

import _ "embed"

// Icon is the application icon: a 256x256 PNG of a dark teal shield on a
// transparent background. Treat it as read-only.
//
//go:embed icon.png
var Icon []byte
