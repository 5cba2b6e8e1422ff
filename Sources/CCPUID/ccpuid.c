#include "ccpuid.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

int ccpuid_query(unsigned leaf, unsigned subleaf, unsigned registers[4]) {
    unsigned highest = __get_cpuid_max(leaf & 0x80000000u, 0);
    if (highest == 0 || leaf > highest) {
        registers[0] = registers[1] = registers[2] = registers[3] = 0;
        return 0;
    }
    __cpuid_count(leaf, subleaf, registers[0], registers[1], registers[2], registers[3]);
    return 1;
}

unsigned long long ccpuid_enabled_states(void) {
    unsigned r[4];
    if (!ccpuid_query(1, 0, r) || !(r[2] & (1u << 27))) return 0;  // no OSXSAVE: xgetbv would fault
    unsigned low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((unsigned long long)high << 32) | low;
}
#else
int ccpuid_query(unsigned leaf, unsigned subleaf, unsigned registers[4]) {
    (void)leaf; (void)subleaf;
    registers[0] = registers[1] = registers[2] = registers[3] = 0;
    return 0;
}
unsigned long long ccpuid_enabled_states(void) { return 0; }
#endif
