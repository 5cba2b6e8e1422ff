#ifndef BERTIN_CZLIB_SHIM_H
#define BERTIN_CZLIB_SHIM_H
#include <zlib.h>
// inflateInit2 / deflateInit2 are macros that pass the library version and struct size.
static inline int czlib_inflate_init_gzip(z_streamp stream) { return inflateInit2(stream, 15 + 32); }
static inline int czlib_deflate_init_gzip(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
