#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the x86 SHA extensions (SHA-NI) with SSSE3 and SSE4.1, else 0 (always 0 off x86-64).
int csha256_has_shani(void);

/// Compresses `blocks` whole 64-octet blocks at `data` into `state` (the eight working words, FIPS 180-4
/// §6.2.2) with the SHA-NI instructions. Only call it when `csha256_has_shani()` returned 1.
void csha256_compress_shani(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
