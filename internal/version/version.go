// Package version tells which gardien this is.
package version

import "runtime/debug"

// version is set at build time with -ldflags "-X github.com/gardien/gardien/internal/version.version=1.2.3".
var version = ""

// String returns the version of this binary: the one set at build time, else the
// module version, else "dev".
func String() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
