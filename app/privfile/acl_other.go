//go:build !windows

package privfile

// setOwnerOnly is only needed on Windows: on Unix the file mode does it.
func setOwnerOnly(string) error { return nil }

// checkOwnerOnly is only needed on Windows: on Unix the file mode is checked.
func checkOwnerOnly(string) (string, error) { return "", nil }
