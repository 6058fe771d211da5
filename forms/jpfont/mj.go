package jpfont

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
)

// MJEnvVar names the environment variable that points at the MJ font
// (IPAmj明朝) and takes precedence over the search.
const MJEnvVar = "MADOGUCHI_MJ_FONT"

// MJDebianPackage is the package that provides IPAmj明朝 on Debian.
const MJDebianPackage = "fonts-ipamj-mincho"

// mjPaths are tried in order when neither the configuration nor the
// environment names the MJ font.
var mjPaths = []string{
	"/usr/share/fonts/truetype/ipamj/ipamjm.ttf",
	"/usr/share/fonts/opentype/ipamj/ipamjm.ttf",
	"/usr/local/share/fonts/ipamjm.ttf",
	`C:\Windows\Fonts\ipamjm.ttf`,
}

// MJ is the font of the MJ character set (文字情報基盤), IPAmj明朝: it has a
// glyph for every character the registry may hold, including those beyond
// the BMP (𠮷 U+20BB7) and ideographic variation sequences. It draws what
// the Japanese font lacks. An MJ is immutable and safe for concurrent use.
type MJ struct {
	Path string
	Data []byte // the whole file, mapped read-only where the OS allows

	groups []cmapGroup    // cmap format 12, sorted by first code point
	uvs    map[uvsKey]int // cmap format 14, non-default variation glyphs
	hasUVS map[rune]bool  // base characters with a non-default variant
	names  func(gid int) string
}

type cmapGroup struct{ first, last, glyph int }

type uvsKey struct{ base, selector rune }

var mjCache struct {
	sync.Mutex
	fonts map[string]*MJ
}

// FindMJ returns the MJ font from: override (mj_font_path in the
// configuration), the MADOGUCHI_MJ_FONT environment variable, then the
// known install paths (Debian's fonts-ipamj-mincho first). An explicit path
// that cannot be read is an error. The font is loaded once per process and
// shared by the screen and the printed forms.
func FindMJ(override string) (*MJ, error) {
	for _, explicit := range []string{override, os.Getenv(MJEnvVar)} {
		if explicit == "" {
			continue
		}
		f, err := loadMJ(explicit)
		if err != nil {
			return nil, fmt.Errorf("jpfont: configured MJ font: %w", err)
		}
		return f, nil
	}
	for _, p := range mjPaths {
		if f, err := loadMJ(p); err == nil {
			return f, nil
		}
	}
	return nil, &MJNotFoundError{Tried: mjPaths}
}

// MJNotFoundError says that no MJ font was found and where it was looked
// for.
type MJNotFoundError struct {
	Tried []string
}

func (e *MJNotFoundError) Error() string {
	return fmt.Sprintf("jpfont: no MJ font (IPAmj明朝) found (tried %s); install the Debian package %s or set %s",
		strings.Join(e.Tried, ", "), MJDebianPackage, MJEnvVar)
}

// Unwrap lets errors.Is match ErrNotFound.
func (e *MJNotFoundError) Unwrap() error { return ErrNotFound }

// UserMessage is the Japanese message shown to the user.
func (e *MJNotFoundError) UserMessage() string {
	return "外字を表示するMJ明朝フォント（IPAmj明朝）が見つかりません。管理者に連絡し、" + MJDebianPackage +
		" をインストールするか、環境変数 " + MJEnvVar + " でフォントファイルを指定してください。"
}

func loadMJ(path string) (*MJ, error) {
	mjCache.Lock()
	defer mjCache.Unlock()
	if f, ok := mjCache.fonts[path]; ok {
		return f, nil
	}
	data, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	f, err := ParseMJ(data)
	if err != nil {
		unmapFile(data)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Path = path
	if mjCache.fonts == nil {
		mjCache.fonts = map[string]*MJ{}
	}
	mjCache.fonts[path] = f
	return f, nil
}

// ParseMJ reads the character map of a TrueType font with a full Unicode
// cmap (format 12) and, if present, its variation sequences (format 14).
func ParseMJ(data []byte) (*MJ, error) {
	if !isTrueType(data) {
		return nil, errors.New("not a TrueType (.ttf) font")
	}
	b := rd(data)
	cmap, cmapLen, err := b.table("cmap")
	if err != nil {
		return nil, err
	}
	cm := rd(data[cmap : cmap+cmapLen])
	f := &MJ{Data: data}
	n := cm.u16(2)
	for i := 0; i < n; i++ {
		platform, encoding, off := cm.u16(4+8*i), cm.u16(6+8*i), cm.u32(8+8*i)
		switch format := cm.u16(off); {
		case format == 12 && (platform == 3 && encoding == 10 || platform == 0 && (encoding == 4 || encoding == 6)) && f.groups == nil:
			f.groups = parseFormat12(cm, off)
		case format == 14 && platform == 0 && encoding == 5:
			f.uvs = parseFormat14(cm, off)
		}
	}
	if f.groups == nil {
		return nil, errors.New("no full Unicode cmap (format 12)")
	}
	f.names = postNames(b)
	return f, nil
}

// Glyph returns the glyph index for r, or false when the font has none.
func (f *MJ) Glyph(r rune) (int, bool) {
	c := int(r)
	i := sort.Search(len(f.groups), func(i int) bool { return f.groups[i].last >= c })
	if i == len(f.groups) || f.groups[i].first > c {
		return 0, false
	}
	g := f.groups[i]
	return g.glyph + c - g.first, true
}

// Has reports whether the font draws r.
func (f *MJ) Has(r rune) bool {
	_, ok := f.Glyph(r)
	return ok
}

// VariantGlyph returns the glyph of the ideographic variation sequence
// base+selector: the variant's own glyph, or the base's glyph where the
// font lists the sequence as its default. It reports false for a
// sequence the font does not list.
func (f *MJ) VariantGlyph(base, selector rune) (int, bool) {
	g, ok := f.uvs[uvsKey{base, selector}]
	if !ok {
		return 0, false
	}
	if g < 0 {
		return f.Glyph(base)
	}
	return g, true
}

// GlyphName is the glyph's name from the font's post table ("" if none).
// IPAmj明朝 names its glyphs after the MJ文字図形名 in lower case
// ("mj028902" for 髙).
func (f *MJ) GlyphName(gid int) string { return f.names(gid) }

// MJName returns the MJ文字図形名 of the glyph that draws s (a character,
// or a character and its variation selector), such as "MJ028902", or ""
// when the font does not say.
func (f *MJ) MJName(s string) string {
	rs := []rune(s)
	if len(rs) == 0 {
		return ""
	}
	g, ok := f.Glyph(rs[0])
	if len(rs) > 1 {
		g, ok = f.VariantGlyph(rs[0], rs[1])
	}
	if !ok {
		return ""
	}
	name := f.GlyphName(g)
	if len(name) == 8 && strings.HasPrefix(name, "mj") {
		return "MJ" + name[2:]
	}
	return ""
}

// Table returns the bytes of the table tagged tag, or nil.
func (f *MJ) Table(tag string) []byte {
	off, n, err := rd(f.Data).table(tag)
	if err != nil {
		return nil
	}
	return f.Data[off : off+n]
}

func parseFormat12(cm rd, off int) []cmapGroup {
	n := cm.u32(off + 12)
	var groups []cmapGroup
	for i := 0; i < n; i++ {
		p := off + 16 + 12*i
		if p+12 > len(cm) {
			break
		}
		g := cmapGroup{cm.u32(p), cm.u32(p + 4), cm.u32(p + 8)}
		if g.first <= g.last {
			groups = append(groups, g)
		}
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].first < groups[j].first })
	return groups
}

// parseFormat14 reads the variation sequences of a format 14 subtable:
// the default ones (drawn with the base glyph, -1) and the others with
// their glyphs.
func parseFormat14(cm rd, off int) map[uvsKey]int {
	uvs := map[uvsKey]int{}
	n := cm.u32(off + 6)
	for i := 0; i < n; i++ {
		rec := off + 10 + 11*i
		if rec+11 > len(cm) {
			break
		}
		selector := rune(cm.u24(rec))
		if def := cm.u32(rec + 3); def != 0 {
			t := off + def
			m := cm.u32(t)
			for j := 0; j < m && t+4+4*j+4 <= len(cm); j++ {
				p := t + 4 + 4*j
				start, count := cm.u24(p), int(cm[p+3])
				for c := start; c <= start+count; c++ {
					uvs[uvsKey{rune(c), selector}] = -1
				}
			}
		}
		if nonDefault := cm.u32(rec + 7); nonDefault != 0 {
			t := off + nonDefault
			m := cm.u32(t)
			for j := 0; j < m && t+4+5*j+5 <= len(cm); j++ {
				p := t + 4 + 5*j
				uvs[uvsKey{rune(cm.u24(p)), selector}] = cm.u16(p + 3)
			}
		}
	}
	return uvs
}

// postNames returns a lookup of glyph names from a post table of version
// 2.0, built on first use (the table of IPAmj明朝 holds 61,000 names).
func postNames(b rd) func(int) string {
	var once sync.Once
	var offsets []int // name index - 258 → offset of its Pascal string
	var post rd
	var count int
	return func(gid int) string {
		once.Do(func() {
			off, n, err := b.table("post")
			if err != nil || b.u32(off) != 0x00020000 {
				return
			}
			post = b[off : off+n]
			count = post.u16(32)
			for p := 34 + 2*count; p < len(post); p += 1 + int(post[p]) {
				offsets = append(offsets, p)
			}
		})
		if gid < 0 || gid >= count {
			return ""
		}
		ni := post.u16(34 + 2*gid)
		if ni < 258 || ni-258 >= len(offsets) {
			return ""
		}
		p := offsets[ni-258]
		end := p + 1 + int(post[p])
		if end > len(post) {
			return ""
		}
		return string(post[p+1 : end])
	}
}

// rd reads big-endian values from a font file; reads beyond the end give 0.
type rd []byte

func (b rd) u16(off int) int {
	if off < 0 || off+2 > len(b) {
		return 0
	}
	return int(binary.BigEndian.Uint16(b[off:]))
}

func (b rd) u24(off int) int {
	if off < 0 || off+3 > len(b) {
		return 0
	}
	return int(b[off])<<16 | int(b[off+1])<<8 | int(b[off+2])
}

func (b rd) u32(off int) int {
	if off < 0 || off+4 > len(b) {
		return 0
	}
	return int(binary.BigEndian.Uint32(b[off:]))
}

// table returns the offset and length of the table tagged tag.
func (b rd) table(tag string) (int, int, error) {
	n := b.u16(4)
	for i := 0; i < n; i++ {
		rec := 12 + 16*i
		if rec+16 > len(b) {
			break
		}
		if string(b[rec:rec+4]) != tag {
			continue
		}
		off, length := b.u32(rec+8), b.u32(rec+12)
		if off+length > len(b) || off+length < off {
			return 0, 0, fmt.Errorf("table %q lies outside the file", tag)
		}
		return off, length, nil
	}
	return 0, 0, fmt.Errorf("no %q table", tag)
}
