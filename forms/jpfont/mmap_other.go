//go:build !unix

package jpfont

import "os"

// mapFile reads the whole font file where mapping is not available.
func mapFile(path string) ([]byte, error) { return os.ReadFile(path) }

// unmapFile has nothing to release for a file read into memory.
func unmapFile([]byte) {}
