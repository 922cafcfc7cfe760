/* crc32c.c - table-driven CRC-32C (reflected polynomial 0x82F63B78, init and final xor
 * 0xFFFFFFFF), as used by iSCSI and ext4. Only small frames (headers, index) are
 * checksummed with it; zstd's own XXH64 checksum covers chunk data.
 */
#include "crc32c.h"

static uint32_t crc_table[256];
static int crc_ready;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[i] = c;
    }
    crc_ready = 1;
}

uint32_t ct_crc32c(uint32_t crc, const void *data, size_t len)
{
    if (!crc_ready)
        crc_init(); /* idempotent: a racing second init writes the same values */
    const uint8_t *p = data;
    crc = ~crc;
    while (len--)
        crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}
