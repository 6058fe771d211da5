package assets

import _ "embed"

// Icon is the application icon (PNG, 256×256): 窓 on the counter's blue.
//
//go:embed icon.png
var Icon []byte
