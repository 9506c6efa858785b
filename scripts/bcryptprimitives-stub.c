/* A stand-in for bcryptprimitives.dll under Wine 8, which lacks it: Rust's standard library on
 * Windows gets random bytes from ProcessPrng there. This one forwards to RtlGenRandom
 * (advapi32!SystemFunction036), which Wine has. Used only to run the Windows test build under Wine
 * (scripts/windows-tests.sh); real Windows has the real DLL. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
