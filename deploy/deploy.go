// Package deploy holds the files an installation needs, embedded so the
// binary can print them: the example configuration, which is also the
// definition of every default.
package deploy

import _ "embed"

// ConfigExample is deploy/config.example.toml.
//
//go:embed config.example.toml
var ConfigExample []byte
