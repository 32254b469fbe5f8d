#ifndef IMPORT_PREP_CPUHINTS_SHIM_H
#define IMPORT_PREP_CPUHINTS_SHIM_H

/* Asks the CPU to bring the cache line at `address` in, without waiting for it: Swift has no
   prefetch of its own. A hint only (a no-op where the compiler has none); `address` need not be
   valid. */
static inline void import_prep_prefetch(const void *address) {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(address, 1, 3);
#else
    (void)address;
#endif
}

#endif
