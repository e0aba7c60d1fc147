/* Test-only stand-in for bcryptprimitives.dll under Wine 8, which lacks `ProcessPrng` (Rust's std asks it for
 * random bytes at start-up). It forwards to RtlGenRandom (advapi32's SystemFunction036). `cargo xtask windows`
 * builds it with mingw and loads it only in its throwaway Wine prefix; it is never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG part = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, part)) return FALSE;
        data += part;
        length -= part;
    }
    return TRUE;
}
