#ifndef RANK1_CSUPPORT_H
#define RANK1_CSUPPORT_H
#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli). Uses SSE4.2 when the CPU has it, a table otherwise; both give the same value.
uint32_t r1_crc32c(uint32_t crc, const void *data, size_t length);

/// Seconds on the monotonic clock (for durations: unaffected by changes of the wall clock). The one clock of both
/// engines and the executable.
double r1_monotonic_seconds(void);

/// zlib compress2 at `level`; returns the compressed size, or 0 when dst is too small or on error.
size_t r1_deflate(const void *src, size_t n, void *dst, size_t capacity, int level);
/// Upper bound of the compressed size of n bytes.
size_t r1_deflate_bound(size_t n);
/// zlib uncompress; returns the decompressed size, or (size_t)-1 on damaged input or a small dst.
size_t r1_inflate(const void *src, size_t n, void *dst, size_t capacity);

/// Window selection's first pass (Retrieval's WindowScores.selectTop): for each slot whose bit is set in
/// `matched` (`words` 64-bit words), stores (float)scores[slot] in finals[slot] and counts it in bucket
/// min((int)(f * scale), buckets - 1) of one of four interleaved histograms (`histograms`: 4 × buckets,
/// zeroed by the caller). Scores must be in [0, buckets / scale].
void r1_window_histogram(const double *scores, const uint64_t *matched, size_t words, float scale, int32_t buckets,
                         float *finals, int32_t *histograms);
/// Wakes a poll() on the read end of `fd`'s pipe at every terminal resize, passing SIGWINCH on to the
/// handler installed before (ncurses').
void r1_watch_resize(int fd);

#endif
