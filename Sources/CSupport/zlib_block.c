#include "csupport.h"
#include <zlib.h>

size_t r1_deflate_bound(size_t n) { return compressBound((uLong)n); }

size_t r1_deflate(const void *src, size_t n, void *dst, size_t capacity, int level) {
    uLongf out = (uLongf)capacity;
    if (compress2((Bytef *)dst, &out, (const Bytef *)src, (uLong)n, level) != Z_OK) return 0;
    return (size_t)out;
}

size_t r1_inflate(const void *src, size_t n, void *dst, size_t capacity) {
    uLongf out = (uLongf)capacity;
    if (uncompress((Bytef *)dst, &out, (const Bytef *)src, (uLong)n) != Z_OK) return (size_t)-1;
    return (size_t)out;
}
