#ifndef IMPORT_PREP_CPUHINTS_SHIM_H
#define IMPORT_PREP_CPUHINTS_SHIM_H

/* What Swift cannot say to the CPU itself, in one header: a prefetch hint, the vector loops of
   the JSON string scan and the CSV cells' UTF-8 check, and the stop bitmap a record's strings are
   read through. Each has a plain fallback where the instructions are missing. */

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

/* The loop both skips below share: from `i`, the index of the first byte of `p[i..<n]` that
   stops it, or `n`. NUL and non-ASCII bytes always stop it; with `json_string`, also `"`, `\`
   and the other control bytes. Sixteen bytes a compare with SSE2 (every x86-64), then eight a
   step (the "has zero byte" tests of Bit Twiddling Hacks; the lowest flagged byte is exact, as
   a borrow only flags bytes above a real match), then byte by byte. `json_string` is a
   constant at each call, so each caller gets its own loop. */
static inline long import_prep_skip(const unsigned char *p, long i, long n, int json_string) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i zero = _mm_setzero_si128();
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        /* As signed bytes, control bytes (0x00-0x1F) and non-ASCII (0x80-0xFF) are both < 0x20. */
        __m128i stop = json_string
            ? _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                  _mm_cmplt_epi8(v, space))
            : _mm_or_si128(v, _mm_cmpeq_epi8(v, zero));
        int mask = _mm_movemask_epi8(stop);
        if (mask != 0) return i + __builtin_ctz((unsigned)mask);
        i += 16;
    }
#endif
    const unsigned long long ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (i + 8 <= n) {
        unsigned long long w;
        __builtin_memcpy(&w, p + i, 8);
        unsigned long long mask;
        if (json_string) {
            unsigned long long q = w ^ (ones * 0x22), b = w ^ (ones * 0x5C);
            mask = (((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w) | w) & highs;
        } else {
            mask = (w | ((w - ones) & ~w)) & highs;
        }
        if (mask != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return i + (__builtin_ctzll(mask) >> 3);
#else
            break;
#endif
        }
        i += 8;
    }
    for (; i < n; i++) {
        unsigned char c = p[i];
        if (c == 0 || c >= 0x80 || (json_string && (c == '"' || c == '\\' || c < 0x20))) return i;
    }
    return n;
}

/* Skips the plain bytes of a JSON string body in `p[i..<n]`: returns the index of the first
   quote, backslash, control byte or non-ASCII byte, or `n` (JSONScanner.scanString). */
static inline long import_prep_skip_plain_string(const unsigned char *p, long i, long n) {
    return import_prep_skip(p, i, n, 1);
}

/* Skips ASCII bytes other than NUL in `p[i..<n]`: returns the index of the first NUL or
   non-ASCII byte, or `n` (a CSV cell's UTF-8 check starts its work there). */
static inline long import_prep_skip_ascii(const unsigned char *p, long i, long n) {
    return import_prep_skip(p, i, n, 0);
}

/* Skips visible ASCII other than the backslash (0x21-0x7E but 0x5C) in `p[i..<n]`: returns the
   index of the first other byte (white space, control, DEL, backslash, non-ASCII), or `n`.
   Sixteen bytes a compare with SSE2, then byte by byte (EventURL.parse: a URL is mostly such
   bytes, and only the others need a closer look). */
static inline long import_prep_skip_visible(const unsigned char *p, long i, long n) {
#if defined(__SSE2__)
    const __m128i bang = _mm_set1_epi8(0x21);
    const __m128i del = _mm_set1_epi8(0x7F);
    const __m128i backslash = _mm_set1_epi8('\\');
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        /* As signed bytes, 0x00-0x20 and 0x80-0xFF are both < 0x21. */
        __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, bang), _mm_cmpeq_epi8(v, del)),
            _mm_cmpeq_epi8(v, backslash));
        int mask = _mm_movemask_epi8(stop);
        if (mask != 0) return i + __builtin_ctz((unsigned)mask);
        i += 16;
    }
#endif
    for (; i < n; i++) {
        unsigned char c = p[i];
        if (c < 0x21 || c >= 0x7F || c == '\\') return i;
    }
    return n;
}

/* The stop bits of the 64 bytes at `p` (see import_prep_string_stops). */
static inline unsigned long long import_prep_stops64(const unsigned char *p) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    unsigned long long bits = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
            _mm_cmplt_epi8(v, space));
        bits |= (unsigned long long)(unsigned)_mm_movemask_epi8(stop) << (16 * k);
    }
    return bits;
#else
    unsigned long long bits = 0;
    for (int k = 0; k < 64; k++) {
        unsigned char c = p[k];
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) bits |= 1ULL << k;
    }
    return bits;
#endif
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

/* The stop bits of the 64 bytes at `p` with AVX2: two compares of 32 bytes each. */
__attribute__((target("avx2"))) static inline unsigned long long import_prep_stops64_avx2(const unsigned char *p) {
    const __m256i quote = _mm256_set1_epi8('"');
    const __m256i backslash = _mm256_set1_epi8('\\');
    const __m256i space = _mm256_set1_epi8(0x20);
    __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
    /* As signed bytes, control bytes (0x00-0x1F) and non-ASCII (0x80-0xFF) are both < 0x20. */
    __m256i sa = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(a, quote), _mm256_cmpeq_epi8(a, backslash)),
        _mm256_cmpgt_epi8(space, a));
    __m256i sb = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(b, quote), _mm256_cmpeq_epi8(b, backslash)),
        _mm256_cmpgt_epi8(space, b));
    return (unsigned long long)(unsigned)_mm256_movemask_epi8(sa)
        | ((unsigned long long)(unsigned)_mm256_movemask_epi8(sb) << 32);
}

/* import_prep_string_stops's loop with AVX2. */
__attribute__((target("avx2"))) static inline long import_prep_string_stops_avx2(
    const unsigned char *p, long n, unsigned long long *bits) {
    long i = 0, w = 0;
    for (; i + 64 <= n; i += 64, w++) bits[w] = import_prep_stops64_avx2(p + i);
    /* The last part, read as the 64 bytes that end the text (it is at least that long). */
    if (i < n && n >= 64) bits[w++] = import_prep_stops64_avx2(p + n - 64) >> (64 - (n - i));
    return w;
}

/* Whether the CPU and the system (the YMM registers saved on a switch) allow AVX2; asked once
   (threads that ask at the same time all find and store the same answer). */
static inline int import_prep_has_avx2(void) {
    static int known = -1;
    int answer = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (answer < 0) {
        unsigned a, b, c, d;
        answer = 0;
        if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE) && (c & bit_AVX)) {
            unsigned lo, hi;
            __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
            if ((lo & 6) == 6 && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX2)) answer = 1;
        }
        __atomic_store_n(&known, answer, __ATOMIC_RELAXED);
    }
    return answer;
}
#define IMPORT_PREP_HAS_AVX2_PATH 1
#endif

/* The stop bitmap of a JSON text: bit k of bits[k / 64] is set when p[k] stops a string's plain
   run (`"`, `\\`, a control byte or a non-ASCII byte), for k < n; the bits past n are 0, and so is
   the word after the last (`bits` holds (n + 63) / 64 + 1 words). 64 bytes a step with AVX2
   where the CPU has it, else sixteen bytes a compare with SSE2; the last part is read as the 64
   bytes that end the text, or, in a text shorter than that, copied into a block of its own, its
   bits past n cleared. JSONScanner finds a string's end from this with one count of trailing
   zeros instead of a loop per string. */
static inline void import_prep_string_stops_using(
    const unsigned char *p, long n, unsigned long long *bits, int avx2) {
    long i = 0, w = 0;
#if defined(IMPORT_PREP_HAS_AVX2_PATH)
    if (avx2 && import_prep_has_avx2()) {
        w = import_prep_string_stops_avx2(p, n, bits);
        /* It did the last part too when the text is 64 bytes or longer. */
        i = w * 64 < n ? w * 64 : n;
    }
#endif
    for (; i + 64 <= n; i += 64, w++) bits[w] = import_prep_stops64(p + i);
    if (i < n && n >= 64) {
        /* The last part, read as the 64 bytes that end the text: nothing past it is read. */
        bits[w++] = import_prep_stops64(p + n - 64) >> (64 - (n - i));
    } else if (i < n) {
        unsigned char tail[64];
        __builtin_memset(tail, ' ', 64);
        __builtin_memcpy(tail, p + i, (unsigned long)(n - i));
        bits[w++] = import_prep_stops64(tail) & ((1ULL << (n - i)) - 1);
    }
    bits[w] = 0;
}

/* The bitmap, with AVX2 where the CPU has it (`_using` with 0 takes the SSE2 path anyway: tests
   compare the two). */
static inline void import_prep_string_stops(const unsigned char *p, long n, unsigned long long *bits) {
    import_prep_string_stops_using(p, n, bits, 1);
}

#endif
