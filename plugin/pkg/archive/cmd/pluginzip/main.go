// Command pluginzip packs plugin/dist into the zip Grafana installs and
// checks its layout (make plugin).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/deploylens/deploylens/plugin/pkg/archive"
)

func main() {
	dist := flag.String("dist", "plugin/dist", "the built plugin")
	out := flag.String("out", "", "the zip to write")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "pluginzip: -out is required")
		os.Exit(2)
	}
	if err := archive.Build(*dist, *out); err != nil {
		fmt.Fprintln(os.Stderr, "pluginzip:", err)
		os.Exit(1)
	}
	if err := archive.Check(*out); err != nil {
		fmt.Fprintln(os.Stderr, "pluginzip:", err)
		os.Exit(1)
	}
	fmt.Println("wrote", *out)
}
