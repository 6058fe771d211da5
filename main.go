// Command madoguchi is the counter application for issuing JPKI signing
// certificates (公的個人認証 窓口).
//
// With no arguments it opens the counter window. Subcommands run helpers
// that sit beside the application, such as the card emulator bridge and the
// reference prefecture CA; `madoguchi help` lists them.
package main

import (
	"fmt"
	"os"
	"sort"
)

// subcommand is a helper program reachable as `madoguchi NAME ...`.
type subcommand struct {
	summary string
	run     func(args []string) error
}

// subcommands is filled by the init functions of the cmd_*.go files.
var subcommands = map[string]subcommand{}

func register(name, summary string, run func(args []string) error) {
	subcommands[name] = subcommand{summary: summary, run: run}
}

func main() {
	if len(os.Args) > 1 {
		name := os.Args[1]
		if name == "help" || name == "-h" || name == "--help" {
			usage()
			return
		}
		if sc, ok := subcommands[name]; ok {
			if err := sc.run(os.Args[2:]); err != nil {
				fmt.Fprintf(os.Stderr, "madoguchi %s: %v\n", name, err)
				os.Exit(1)
			}
			return
		}
	}
	if err := runGUI(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "madoguchi: %v\n", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Println("usage: madoguchi [-config FILE]      open the counter window")
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Printf("       madoguchi %-16s %s\n", n, subcommands[n].summary)
	}
}
