//go:build windows

package privfile

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// currentUser returns the SID of the user the process runs as.
func currentUser() (*windows.SID, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("privfile: token user: %w", err)
	}
	return u.User.Sid.Copy()
}

// setOwnerOnly replaces the file's DACL with one entry granting the current
// user full control, protected from the entries the folder would pass on:
// the Windows counterpart of mode 0600.
func setOwnerOnly(path string) error {
	me, err := currentUser()
	if err != nil {
		return err
	}
	acl, err := ownerOnlyACL(me)
	if err != nil {
		return fmt.Errorf("privfile: build ACL for %s: %w", path, err)
	}
	err = windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION,
		nil, nil, acl, nil)
	if err != nil {
		return fmt.Errorf("privfile: set owner-only ACL on %s: %w", path, err)
	}
	return nil
}

// ownerOnlyACL is a DACL with one entry: full control for user.
func ownerOnlyACL(user *windows.SID) (*windows.ACL, error) {
	return windows.ACLFromEntries([]windows.EXPLICIT_ACCESS{{
		AccessPermissions: windows.GENERIC_ALL,
		AccessMode:        windows.SET_ACCESS,
		Inheritance:       windows.NO_INHERITANCE,
		Trustee: windows.TRUSTEE{
			TrusteeForm:  windows.TRUSTEE_IS_SID,
			TrusteeType:  windows.TRUSTEE_IS_USER,
			TrusteeValue: windows.TrusteeValueFromSID(user),
		},
	}}, nil)
}

// checkOwnerOnly returns the file's security descriptor in SDDL when its
// DACL lets anyone but the current user, the file's owner, SYSTEM or the
// Administrators group in (a missing DACL lets everyone in), and "" when it
// does not.
func checkOwnerOnly(path string) (string, error) {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return "", fmt.Errorf("privfile: read ACL of %s: %w", path, err)
	}
	me, err := currentUser()
	if err != nil {
		return "", err
	}
	bad, err := exposed(sd, me)
	if err != nil {
		return "", fmt.Errorf("privfile: read ACL of %s: %w", path, err)
	}
	if bad {
		return sd.String(), nil
	}
	return "", nil
}

// exposed reports whether sd's DACL lets anyone in but me, the owner,
// SYSTEM or the Administrators group (a missing DACL lets everyone in).
func exposed(sd *windows.SECURITY_DESCRIPTOR, me *windows.SID) (bool, error) {
	dacl, _, err := sd.DACL()
	if err != nil || dacl == nil {
		return true, nil
	}
	allowed := []*windows.SID{me}
	if owner, _, err := sd.Owner(); err == nil && owner != nil {
		allowed = append(allowed, owner)
	}
	for _, t := range []windows.WELL_KNOWN_SID_TYPE{windows.WinLocalSystemSid, windows.WinBuiltinAdministratorsSid} {
		if s, err := windows.CreateWellKnownSid(t); err == nil {
			allowed = append(allowed, s)
		}
	}
	for i := uint16(0); i < dacl.AceCount; i++ {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, uint32(i), &ace); err != nil {
			return false, err
		}
		if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE || ace.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0 {
			continue
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		if !anyEqual(allowed, sid) {
			return true, nil
		}
	}
	return false, nil
}

func anyEqual(sids []*windows.SID, s *windows.SID) bool {
	for _, a := range sids {
		if a.Equals(s) {
			return true
		}
	}
	return false
}
