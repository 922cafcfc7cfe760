/* im.h - the chimney intermediate (IM) driver: what its DriverEntry (or the user-mode model)
 * calls to register it, create adapters and wire them between an upper and a lower NDIS
 * edge. The state-operation handlers themselves are reached only through NDIS.
 *
 * One im_adapter is both the MiniportAdapterContext of the IM's upper (miniport) edge and
 * the ProtocolBindingContext of its lower (protocol) edge. Requests from above are passed
 * down with the IM's own offload handles and completed upward with every field the IM
 * changed put back (reference §3.5). Freestanding: only <chimney/...> and platform.h.
 */
#ifndef CHIMNEY_IM_H
#define CHIMNEY_IM_H

#include <chimney/ndis_chimney.h>

#include "shim.h"

typedef struct im_adapter im_adapter;

/* Register the IM's chimney characteristics: PROVIDER generic + TCP on `miniport_driver`
 * (NdisMiniportDriverHandle), CLIENT generic + TCP on `protocol_driver`
 * (NdisProtocolDriverHandle), each with NdisSetOptionalHandlers. Returns the first failing
 * status, or NDIS_STATUS_SUCCESS. The TCP data-path handlers are not implemented yet and
 * are registered as NULL. */
NDIS_STATUS im_register_handlers(NDIS_HANDLE miniport_driver, NDIS_HANDLE protocol_driver);

/* The two halves of im_register_handlers, for a kernel build where NDIS hands out the two
 * driver handles at different times (MiniportSetOptions, ProtocolSetOptions). */
NDIS_STATUS im_register_provider(NDIS_HANDLE miniport_driver);
NDIS_STATUS im_register_client(NDIS_HANDLE protocol_driver);

/* A new adapter (plat_alloc). `tracer` is the trace shim whose hooks the adapter calls, or
 * NULL for no tracing; it must outlive the adapter. NDIS_STATUS_RESOURCES when memory is
 * short. Caller frees with im_destroy. */
NDIS_STATUS im_create(shim *tracer, im_adapter **out);

/* Free the adapter and every offload entry it still holds (objects the host never
 * terminated). No request may be in flight. im_destroy(NULL) is a no-op. */
void im_destroy(im_adapter *a);

/* Wire the adapter: `upper_miniport_handle` is its NdisMiniportHandle (for NdisM*Complete),
 * `lower_binding` its NdisBindingHandle on the adapter below (for NdisXxx). Call before the
 * first request. */
void im_attach(im_adapter *a, NDIS_HANDLE upper_miniport_handle, NDIS_HANDLE lower_binding);

/* An opaque pointer of the embedding code kept with the adapter (the kernel glue's
 * per-binding state), so a handler that NDIS gives the adapter as its context finds its own
 * state without a lookup. NULL until set; the IM never reads it. */
void im_set_owner(im_adapter *a, void *owner);
void *im_owner(const im_adapter *a);

/* Offload entries (one per offloaded object, or per object being offloaded) and call
 * entries (one per operation in flight) alive in all adapters. */
uint64_t im_live_offload_entries(void);
uint64_t im_live_call_entries(void);

/* Contract faults the adapter met and survived. */
typedef struct im_stats {
    uint64_t bad_call_entry;      /* completion whose root ImReserved[0] is no call of ours */
    uint64_t wrong_completion;    /* completion of another operation than the call's */
    uint64_t bad_offload_context; /* *MiniportOffloadContext is no offload entry of ours */
    uint64_t malformed_tree;      /* deeper than IM_WALK_DEPTH or more than IM_MAX_BLOCKS */
    uint64_t tree_changed;        /* lower driver changed NextBlock/DependentBlockList */
    uint64_t failed_requests;     /* completed at once (no memory, bad tree or context) */
} im_stats;

void im_get_stats(const im_adapter *a, im_stats *out);

/* ---- fault injection ----------------------------------------------------------------- */

/* Bugs the IM commits on purpose, so that the tools (scripted replay with the semantic
 * diff, the contract verifier) can be shown to catch each one. Each is what a real IM bug
 * would do, applied deterministically:
 *
 * FORGET_IM_RESERVED   every completion goes up with ImReserved[0..1] of every block as the
 *                      lower edge returned them: the root's ImReserved[0] still holds the
 *                      IM's call entry (freed by then), the rest whatever the layers below
 *                      left there.
 * FORGET_SOURCE_HANDLE every completion goes up with SourceHandle of every block as
 *                      returned: the root's is the IM's own lower NdisBindingHandle (NDIS
 *                      set it on the IM's down-call), so NDIS routes the completion by a
 *                      binding of the adapter below (the model counts wrong_adapter and
 *                      drops it: the host never hears).
 * PASS_OWN_HANDLE      every completion goes up with OffloadHandle of every non-placeholder
 *                      block still pointing at the IM's own NDIS_OFFLOAD_HANDLE (inside its
 *                      offload entry). The MiniportOffloadContext slot and what initiate
 *                      writes through it stay right.
 * DROP_COMPLETION      one-shot: the first operation of the drop kind (im_set_fault_op;
 *                      default SHIM_OP_UPDATE) the IM passes down after im_set_faults. Its
 *                      completion from below is processed in full (fields restored, entries
 *                      settled, call entry freed, completion-in traced), but NdisM...Complete
 *                      is never called and no completion-out is traced. Nothing leaks.
 * DUP_COMPLETION       one-shot: the first operation of the dup kind (default
 *                      SHIM_OP_QUERY): NdisM...Complete is called twice in a row with the
 *                      same root. Both completion-out records are traced before the first
 *                      call (after it the tree is the host's); the second call reads only
 *                      the adapter and locals, never the freed call entry. An operation
 *                      picked for both one-shots is dropped; DUP then stays armed.
 * WRONG_STATUS         on initiate completions only, every Status other than SUCCESS
 *                      (PARTIAL_SUCCESS, failures, resource codes) is rewritten to SUCCESS
 *                      after the IM settled its entries by the true status: the host sees
 *                      SUCCESS on blocks whose *MiniportOffloadContext was never written.
 * CONTEXT_ON_FAILURE   on initiate completions, a new object whose block failed gets
 *                      *MiniportOffloadContext = its IM offload entry anyway, and the entry
 *                      stays on the adapter's list (alive until terminated or im_destroy).
 * LEAK_OFFLOAD_ENTRY   terminate completions free no offload entry: each stays on the
 *                      adapter's list as if still offloaded, so it lives until im_destroy.
 *
 * The mask is captured per operation when the IM accepts the request (so an operation in
 * flight keeps the behaviour it started with). Requests the IM fails at once (no memory, an
 * unusable tree) are never faulty and are not counted as "first". With mask 0 the driver is
 * the correct one, at the cost of a predictable branch on a zero mask at the request and
 * two at the completion (the restore is compiled twice, once with the mask constant 0).
 */
typedef enum im_fault {
    IM_FAULT_NONE = 0,
    IM_FAULT_FORGET_IM_RESERVED = 1u << 0,
    IM_FAULT_FORGET_SOURCE_HANDLE = 1u << 1,
    IM_FAULT_PASS_OWN_HANDLE = 1u << 2,
    IM_FAULT_DROP_COMPLETION = 1u << 3,
    IM_FAULT_DUP_COMPLETION = 1u << 4,
    IM_FAULT_WRONG_STATUS = 1u << 5,
    IM_FAULT_CONTEXT_ON_FAILURE = 1u << 6,
    IM_FAULT_LEAK_OFFLOAD_ENTRY = 1u << 7
} im_fault;

#define IM_FAULT_COUNT 8u
#define IM_FAULT_ALL ((1u << IM_FAULT_COUNT) - 1u)
/* For help texts: every name im_fault_parse knows. */
#define IM_FAULT_NAMES                                                                  \
    "forget-im-reserved, forget-source-handle, pass-own-handle, drop-completion, "     \
    "dup-completion, wrong-status, context-on-failure, leak-offload-entry"

#define IM_FAULT_ANY_OP 0u    /* im_set_fault_op: the first operation of any kind */

/* Run-time switch: the faults of `mask` (unknown bits ignored) for requests from now on;
 * 0 = the correct driver. Re-arms the one-shot faults and clears im_faults_committed. */
void im_set_faults(im_adapter *a, uint32_t mask);
uint32_t im_get_faults(const im_adapter *a);

/* The operation kind (SHIM_OP_*, or IM_FAULT_ANY_OP) whose first instance the one-shot
 * fault `one_bit` (IM_FAULT_DROP_COMPLETION or IM_FAULT_DUP_COMPLETION) hits. Takes effect
 * for requests from now on; does not re-arm. NDIS_STATUS_INVALID_PARAMETER for another
 * bit or an unknown operation. */
NDIS_STATUS im_set_fault_op(im_adapter *a, uint32_t one_bit, uint8_t op);

/* The faults that changed what went up at least once since the last im_set_faults (a
 * one-shot whose operation kind never came stays clear). */
uint32_t im_faults_committed(const im_adapter *a);

/* "drop-completion,wrong-status" -> mask. "" and "none" are 0. UINT32_MAX for NULL, an
 * unknown name (names are case-sensitive) or an empty item ("a,,b", a trailing comma). */
uint32_t im_fault_parse(const char *names);

/* "forget-im-reserved", ... for one IM_FAULT_* bit; "none" for 0; NULL for anything else.
 * Static strings. */
const char *im_fault_name(uint32_t one_bit);

#endif /* CHIMNEY_IM_H */
