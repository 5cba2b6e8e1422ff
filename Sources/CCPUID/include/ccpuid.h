#ifndef BERTIN_CCPUID_H
#define BERTIN_CCPUID_H
// cpuid and xgetbv, which Swift cannot issue itself. On other architectures both report nothing.

/// Fills registers[0...3] with eax, ebx, ecx, edx of cpuid(leaf, subleaf); returns 0 where the
/// leaf is above the CPU's highest (or the machine is not x86-64), 1 otherwise.
int ccpuid_query(unsigned leaf, unsigned subleaf, unsigned registers[4]);

/// XCR0: which register states the operating system saves (bit 1 SSE, 2 AVX, 5-7 AVX-512).
/// 0 where the CPU has no OSXSAVE or the machine is not x86-64.
unsigned long long ccpuid_enabled_states(void);

#endif
