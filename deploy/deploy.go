// Package deploy holds the files an installation needs, embedded so the
// binary can print them: the example configuration, whose comments and
// layout `thermogate config default` fills with the code's defaults
// (config.Render; a test holds the file to them byte for byte).
package deploy

import _ "embed"

// ConfigExample is deploy/config.example.toml.
//
//go:embed config.example.toml
var ConfigExample []byte
