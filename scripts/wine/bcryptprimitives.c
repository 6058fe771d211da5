/*
 * bcryptprimitives.dll for Wine 8 (Debian 12), which lacks ProcessPrng:
 * the Go runtime (1.24 and later) calls it for random bytes at start-up and
 * every Go program dies without it. This stand-in answers from
 * BCryptGenRandom. Only scripts/windows-check.sh installs it, into a private
 * Wine prefix; it is never shipped. Wine 10 has the real function.
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
