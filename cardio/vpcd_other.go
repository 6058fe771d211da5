//go:build !linux

package cardio

import "net"

// quickAck is a Linux optimisation; elsewhere APDUs through vpcd are
// slower but correct.
func quickAck(conn net.Conn) {}
