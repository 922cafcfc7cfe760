/* encode_state.h - decoding the trailing state structures of one block (internal). */
#ifndef CT_ENCODE_STATE_H
#define CT_ENCODE_STATE_H

#include "encode.h"

typedef struct enc_state {
    Chimtrace__V1__NeighborConst nc;
    Chimtrace__V1__NeighborCached nca;
    Chimtrace__V1__NeighborDelegated nd;
    Chimtrace__V1__PathConst pc;
    Chimtrace__V1__PathCached pca;
    Chimtrace__V1__PathDelegated pd;
    Chimtrace__V1__TcpConst tc;
    Chimtrace__V1__TcpCached tca;
    Chimtrace__V1__TcpDelegated td;
} enc_state;

/* Fill b's state messages from the bytes after `br` (br->state_len of them), laid out per
 * shim_state_mask(type) and shim_state_next_offset. Byte fields point into `br`. A query
 * reads the TCP delegated unions as backlog sizes, other operations as NBL pointers. */
void ct_enc_state(ct_enc *e, enc_state *st, Chimtrace__V1__Block *b, const shim_block_rec *br,
                  uint32_t type, int is_query);

#endif
