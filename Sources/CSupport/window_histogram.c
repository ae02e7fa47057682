#include "csupport.h"

// Four interleaved histograms: consecutive slots often fall in the same bucket, and one counter would make
// each increment wait for the previous one's store.
void r1_window_histogram(const double *scores, const uint64_t *matched, size_t words, float scale, int32_t buckets,
                         float *finals, int32_t *histograms) {
    unsigned lane = 0;
    for (size_t w = 0; w < words; w++) {
        uint64_t bits = matched[w];
        while (bits) {
            size_t slot = w * 64 + (size_t)__builtin_ctzll(bits);
            bits &= bits - 1;
            float f = (float)scores[slot];
            finals[slot] = f;
            int32_t b = (int32_t)(f * scale);  // f is in [0, maxScore]: no overflow
            if (b > buckets - 1) b = buckets - 1;
            histograms[(lane & 3) * buckets + b]++;
            lane++;
        }
    }
}
