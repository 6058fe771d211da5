// Command pecheck checks a Windows executable built by scripts/windows-build.sh:
// its PE subsystem (GUI or console), that it is a 64-bit x86 program, and
// that it carries a resource section (icon, manifest, version).
//
//	go run ./scripts/pecheck -subsystem gui madoguchi.exe
package main

import (
	"bytes"
	"debug/pe"
	"errors"
	"flag"
	"fmt"
	"os"
)

// Subsystem values of the PE optional header.
const (
	SubsystemGUI     = pe.IMAGE_SUBSYSTEM_WINDOWS_GUI // 2
	SubsystemConsole = pe.IMAGE_SUBSYSTEM_WINDOWS_CUI // 3
)

// Info is what pecheck reads from an executable.
type Info struct {
	Machine     uint16
	Subsystem   uint16
	HasResource bool
	Resource    []byte // the .rsrc section's data
}

// Read opens the PE file at path and returns its machine, subsystem and
// whether it has a .rsrc section.
func Read(path string) (Info, error) {
	f, err := pe.Open(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	info := Info{Machine: f.Machine}
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		info.Subsystem = oh.Subsystem
	case *pe.OptionalHeader32:
		info.Subsystem = oh.Subsystem
	default:
		return Info{}, errors.New("no optional header")
	}
	if sec := f.Section(".rsrc"); sec != nil {
		info.HasResource = true
		if info.Resource, err = sec.Data(); err != nil {
			return Info{}, err
		}
	}
	return info, nil
}

// HasVersion reports whether the resources hold version as a UTF-16 string
// (the ProductVersion and FileVersion values of the version resource).
func (info Info) HasVersion(version string) bool {
	var u []byte
	for _, r := range version {
		u = append(u, byte(r), byte(r>>8))
	}
	return len(u) > 0 && bytes.Contains(info.Resource, u)
}

// Check returns an error unless info describes an amd64 program of the
// wanted subsystem ("gui" or "console"), with resources when needRsrc.
func Check(info Info, want string, needRsrc bool) error {
	var sub uint16
	switch want {
	case "gui":
		sub = SubsystemGUI
	case "console":
		sub = SubsystemConsole
	default:
		return fmt.Errorf("unknown subsystem %q", want)
	}
	if info.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		return fmt.Errorf("machine %#x, want amd64", info.Machine)
	}
	if info.Subsystem != sub {
		return fmt.Errorf("subsystem %d, want %d (%s)", info.Subsystem, sub, want)
	}
	if needRsrc && !info.HasResource {
		return errors.New("no .rsrc section: icon and version metadata missing")
	}
	return nil
}

func main() {
	want := flag.String("subsystem", "gui", `"gui" or "console"`)
	rsrc := flag.Bool("rsrc", true, "require a resource section")
	version := flag.String("version", "", "require this version string in the resources")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: pecheck [-subsystem gui|console] [-rsrc=false] file.exe")
		os.Exit(2)
	}
	info, err := Read(flag.Arg(0))
	if err == nil {
		err = Check(info, *want, *rsrc)
	}
	if err == nil && *version != "" && !info.HasVersion(*version) {
		err = fmt.Errorf("version %s not in the resources", *version)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pecheck: %s: %v\n", flag.Arg(0), err)
		os.Exit(1)
	}
	fmt.Printf("pecheck: %s: amd64, subsystem %d (%s), resources %v, version %q\n", flag.Arg(0), info.Subsystem, *want, info.HasResource, *version)
}
