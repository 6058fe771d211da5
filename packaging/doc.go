// Package packaging holds the install files of madoguchi (the Linux desktop
// entry, an example systemd unit for the reference CA, the Windows font
// notice and sample configuration) and the tests that check the installed
// tree. It has no Go code of its own.
package packaging
