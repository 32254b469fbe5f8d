#ifndef IMPORT_PREP_CPUHINTS_SHIM_H
#define IMPORT_PREP_CPUHINTS_SHIM_H

/* What Swift cannot say to the CPU itself, in one header: a prefetch hint and the one vector
   loop of the JSON scanner. Each has a plain fallback where the instructions are missing. */

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/* Skips the plain bytes of a JSON string body in `p[i..<n]`: returns the index of the first
   quote, backslash, control byte or non-ASCII byte, or `n`. With SSE2 (every x86-64) sixteen
   bytes a compare while they fit; the rest, and every other CPU, eight bytes a step (the
   "has zero byte" tests of Bit Twiddling Hacks), then byte by byte. */
static inline long import_prep_skip_plain_string(const unsigned char *p, long i, long n) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        /* As signed bytes, control bytes (0x00-0x1F) and non-ASCII (0x80-0xFF) are both < 0x20. */
        __m128i special = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), _mm_cmplt_epi8(v, space));
        int mask = _mm_movemask_epi8(special);
        if (mask != 0) return i + __builtin_ctz((unsigned)mask);
        i += 16;
    }
#endif
    const unsigned long long ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (i + 8 <= n) {
        unsigned long long w;
        __builtin_memcpy(&w, p + i, 8);
        unsigned long long q = w ^ (ones * 0x22), b = w ^ (ones * 0x5C);
        unsigned long long mask = (((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w) | w) & highs;
        if (mask != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return i + (__builtin_ctzll(mask) >> 3);
#else
            break;
#endif
        }
        i += 8;
    }
    while (i < n) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) return i;
        i++;
    }
    return n;
}

/* Skips ASCII bytes other than NUL in `p[i..<n]`: returns the index of the first NUL or
   non-ASCII byte, or `n` (a CSV cell's UTF-8 check starts its work there). Sixteen bytes a
   compare with SSE2, then eight a step, then byte by byte. */
static inline long import_prep_skip_ascii(const unsigned char *p, long i, long n) {
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        int mask = _mm_movemask_epi8(_mm_or_si128(v, _mm_cmpeq_epi8(v, zero)));
        if (mask != 0) return i + __builtin_ctz((unsigned)mask);
        i += 16;
    }
#endif
    const unsigned long long ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (i + 8 <= n) {
        unsigned long long w;
        __builtin_memcpy(&w, p + i, 8);
        /* The lowest flagged byte is exact: a borrow only flags bytes above a real zero byte. */
        unsigned long long mask = (w | ((w - ones) & ~w)) & highs;
        if (mask != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return i + (__builtin_ctzll(mask) >> 3);
#else
            break;
#endif
        }
        i += 8;
    }
    while (i < n && p[i] != 0 && p[i] < 0x80) i++;
    return i;
}

#endif
