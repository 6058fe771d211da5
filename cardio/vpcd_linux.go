package cardio

import (
	"net"
	"syscall"
)

// quickAck asks the kernel to acknowledge the next segment at once rather
// than after the delayed-ACK timer. vpcd writes a message's length and its
// body in two sends, and with Nagle's algorithm on its side the body waits
// for our acknowledgement of the length: without this, every APDU through
// vpcd stalls for 40 to 200 ms. The option does not stick, so it is set
// before every read.
func quickAck(conn net.Conn) {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	raw.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
