// Command gendoc writes the configuration reference, docs/reference.md, from the
// configuration structs (make docs):
//
//	go run ./internal/config/gendoc [-o docs/reference.md]
//
// It fails, writing nothing, when a key of the configuration has no description.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
)

func main() {
	out := flag.String("o", "docs/reference.md", "the file to write")
	flag.Parse()
	var b bytes.Buffer
	if err := config.Reference(&b, dest.Schemes()); err != nil {
		fmt.Fprintf(os.Stderr, "gendoc: %v\n", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "gendoc: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s\n", *out)
}
