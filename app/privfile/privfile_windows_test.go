//go:build windows

package privfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
)

// skipUnderWine skips a test that needs real file ACLs: Wine 8 does not
// store them (SetNamedSecurityInfo succeeds and changes nothing; the DACL it
// reports is made up from the Unix mode bits). Real Windows runs these.
func skipUnderWine(t *testing.T) {
	t.Helper()
	if windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil {
		t.Skip("Wine does not store file ACLs; this test runs on Windows")
	}
}

// setSDDL gives path the DACL written in SDDL.
func setSDDL(t *testing.T, path, sddl string) {
	t.Helper()
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		t.Fatal(err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		t.Fatal(err)
	}
	err = windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
	if err != nil {
		t.Fatal(err)
	}
}

// ownerOnly asserts that path's DACL is protected and has one entry, for
// the current user.
func ownerOnly(t *testing.T, path string) {
	t.Helper()
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	ctl, _, err := sd.Control()
	if err != nil {
		t.Fatal(err)
	}
	if ctl&windows.SE_DACL_PROTECTED == 0 {
		t.Errorf("%s: DACL not protected from inheritance: %s", path, sd)
	}
	dacl, _, err := sd.DACL()
	if err != nil || dacl == nil {
		t.Fatalf("%s: no DACL (%v)", path, err)
	}
	if dacl.AceCount != 1 {
		t.Errorf("%s: %d entries, want 1: %s", path, dacl.AceCount, sd)
	}
	me, err := currentUser()
	if err != nil {
		t.Fatal(err)
	}
	var ace *windows.ACCESS_ALLOWED_ACE
	if err := windows.GetAce(dacl, 0, &ace); err != nil {
		t.Fatal(err)
	}
	if !me.Equals((*windows.SID)(unsafe.Pointer(&ace.SidStart))) {
		t.Errorf("%s: entry is not for the current user %s: %s", path, me, sd)
	}
}

func TestRestrictSetsOwnerOnlyACL(t *testing.T) {
	skipUnderWine(t)
	dir := t.TempDir()
	tests := []struct {
		name    string
		prepare func(t *testing.T, p string)
	}{
		{"new file", func(*testing.T, string) {}},
		{"existing, everyone may read", func(t *testing.T, p string) {
			if err := os.WriteFile(p, []byte("x"), 0o666); err != nil {
				t.Fatal(err)
			}
			setSDDL(t, p, "D:P(A;;FA;;;WD)")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "秘密 "+tt.name)
			tt.prepare(t, p)
			if err := Restrict(p); err != nil {
				t.Fatal(err)
			}
			ownerOnly(t, p)
			if err := CheckSecret(p, "マスターシークレット"); err != nil {
				t.Errorf("CheckSecret after Restrict: %v", err)
			}
		})
	}
}

func TestWriteFileOwnerOnly(t *testing.T) {
	skipUnderWine(t)
	p := filepath.Join(t.TempDir(), "anchor")
	for _, data := range []string{"one", "two"} {
		if err := WriteFile(p, []byte(data)); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil || string(b) != data {
			t.Fatalf("read %q, %v; want %q", b, err, data)
		}
		ownerOnly(t, p)
	}
}

func TestCheckSecretACL(t *testing.T) {
	skipUnderWine(t)
	dir := t.TempDir()
	tests := []struct {
		name    string
		sddl    string // "" keeps Restrict's owner-only DACL
		exposed bool
	}{
		{"owner only", "", false},
		{"SYSTEM and Administrators", "D:P(A;;FA;;;SY)(A;;FA;;;BA)", false},
		{"Everyone read", "D:P(A;;FR;;;WD)", true},
		{"Users read", "D:P(A;;FR;;;BU)", true},
		{"Authenticated Users", "D:P(A;;FA;;;AU)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name+".key")
			if err := Restrict(p); err != nil {
				t.Fatal(err)
			}
			if tt.sddl != "" {
				setSDDL(t, p, tt.sddl)
			}
			err := CheckSecret(p, "マスターシークレット")
			var ee *ExposedError
			if got := errors.As(err, &ee); got != tt.exposed {
				t.Fatalf("exposed=%v (%v), want %v", got, err, tt.exposed)
			}
			if tt.exposed && (ee.ACL == "" || ee.UserMessage() == "") {
				t.Errorf("exposed error without ACL or message: %+v", ee)
			}
		})
	}
	if err := CheckSecret(filepath.Join(dir, "missing"), "x"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err := CheckSecret(dir, "x"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("folder: %v", err)
	}
}

// TestOwnerOnlyDescriptor checks the DACL setOwnerOnly writes, and the
// exposure rule, on security descriptors in memory (runs under Wine too).
func TestOwnerOnlyDescriptor(t *testing.T) {
	me, err := currentUser()
	if err != nil {
		t.Fatal(err)
	}
	acl, err := ownerOnlyACL(me)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := windows.NewSecurityDescriptor()
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.SetDACL(acl, true, false); err != nil {
		t.Fatal(err)
	}
	if want := "D:(A;;GA;;;" + me.String() + ")"; sd.String() != want {
		t.Errorf("owner-only DACL %s, want %s", sd, want)
	}
	if bad, err := exposed(sd, me); err != nil || bad {
		t.Errorf("owner-only DACL exposed=%v, %v", bad, err)
	}

	other := "S-1-5-21-1-2-3-4242"
	tests := []struct {
		sddl    string
		exposed bool
	}{
		{"D:P(A;;FA;;;" + me.String() + ")", false},
		{"O:" + other + "D:P(A;;FA;;;" + other + ")", false}, // the file's owner
		{"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;" + me.String() + ")", false},
		{"D:P(A;;FR;;;WD)", true},
		{"D:P(A;;FR;;;BU)(A;;FA;;;" + me.String() + ")", true},
		{"D:P(A;;FA;;;AU)", true},
		{"D:P(A;;FR;;;" + other + ")", true},
		{"D:P(D;;FA;;;WD)(A;;FA;;;" + me.String() + ")", false},     // deny entries grant nothing
		{"D:P(A;OIIO;FA;;;WD)(A;;FA;;;" + me.String() + ")", false}, // inherit-only: not for this file
		{"O:" + other, true},                                        // no DACL: everyone
	}
	for _, tt := range tests {
		sd, err := windows.SecurityDescriptorFromString(tt.sddl)
		if err != nil {
			t.Fatalf("%s: %v", tt.sddl, err)
		}
		got, err := exposed(sd, me)
		if err != nil || got != tt.exposed {
			t.Errorf("%s: exposed=%v, %v; want %v", tt.sddl, got, err, tt.exposed)
		}
	}
}
