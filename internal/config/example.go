package config

import _ "embed"

// Example is the commented configuration that `gardien init` writes.
//
//go:embed example.toml
var Example []byte
