#ifndef IMPORT_PREP_CZLIB_SHIM_H
#define IMPORT_PREP_CZLIB_SHIM_H

#include <zlib.h>

/* inflateInit2 is a macro; this reaches it from Swift. windowBits 15 + 32: gzip or zlib header. */
static inline int import_prep_inflate_init(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}

/* windowBits -15: raw deflate data (a zip entry), no header. */
static inline int import_prep_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -15);
}

#endif
