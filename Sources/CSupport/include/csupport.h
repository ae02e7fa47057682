#ifndef RANK1_CSUPPORT_H
#define RANK1_CSUPPORT_H
#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli). Uses SSE4.2 when the CPU has it, a table otherwise; both give the same value.
uint32_t r1_crc32c(uint32_t crc, const void *data, size_t length);

#endif
