// Command bench is the helper of scripts/bench.sh (`make bench`): it generates the
// dump, serves it over HTTPS on loopback, times gardien's upload step alone, and turns
// the measurements into docs/benchmarks.md. It is a tool of the repository, not part
// of gardien, and not a test.
//
//	bench dump   -size 1GB -out DIR/dump.zip      a zip holding dump.sql (plain SQL)
//	bench serve  -root DIR -ca FILE -url-file F   serve DIR over HTTPS on 127.0.0.1
//	bench put    -config FILE -file F             gardien's upload step alone
//	bench deflate -zip Z < gzip-6-n-of-the-dump   the zip's deflate data against gzip -6's
//	bench report -dir RUNS -out FILE ...          medians, ratios, the Markdown page
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "dump":
		err = cmdDump(args)
	case "serve":
		err = cmdServe(args)
	case "put":
		err = cmdPut(args)
	case "deflate":
		err = cmdDeflate(args)
	case "report":
		err = cmdReport(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: bench dump|serve|put|deflate|report [flags] (see scripts/bench.sh)")
	os.Exit(2)
}
