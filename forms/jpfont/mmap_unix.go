//go:build unix

package jpfont

import (
	"os"
	"syscall"
)

// mapFile maps a font file read-only: the 46 MB MJ font then costs
// resident memory only for the pages read (cmap, the glyphs drawn), not
// for the whole file on the Go heap.
func mapFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 {
		return nil, syscall.EINVAL
	}
	return syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
}

// unmapFile releases a mapping made by mapFile. The error is dropped: the
// mapping is read-only and the address range is simply given back.
func unmapFile(b []byte) { _ = syscall.Munmap(b) }
