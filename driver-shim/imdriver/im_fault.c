/* im_fault.c - the IM driver's run-time fault switch: realistic bugs on demand, so that
 * scripted replay + diff and the contract verifier can be shown to catch each one. The
 * correct path pays one predictable branch on the mask; which operation a one-shot fault
 * hits is decided when the IM accepts the request (rules in im.h).
 */
#include "im_internal.h"

/* ---- fault injection ------------------------------------------------------------------ */

/* Indexed by bit number. */
static const char *const fault_names[IM_FAULT_COUNT] = {
    "forget-im-reserved", "forget-source-handle", "pass-own-handle", "drop-completion",
    "dup-completion", "wrong-status", "context-on-failure", "leak-offload-entry"};

void im_set_faults(im_adapter *a, uint32_t mask)
{
    __atomic_store_n(&a->faults_fired, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&a->faults_committed, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&a->faults, mask & IM_FAULT_ALL, __ATOMIC_RELEASE);
}

uint32_t im_get_faults(const im_adapter *a)
{
    return __atomic_load_n(&a->faults, __ATOMIC_ACQUIRE);
}

NDIS_STATUS im_set_fault_op(im_adapter *a, uint32_t one_bit, uint8_t op)
{
    if (op > SHIM_OP_INVALIDATE)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (one_bit == IM_FAULT_DROP_COMPLETION)
        __atomic_store_n(&a->drop_op, op, __ATOMIC_RELEASE);
    else if (one_bit == IM_FAULT_DUP_COMPLETION)
        __atomic_store_n(&a->dup_op, op, __ATOMIC_RELEASE);
    else
        return NDIS_STATUS_INVALID_PARAMETER;
    return NDIS_STATUS_SUCCESS;
}

uint32_t im_faults_committed(const im_adapter *a)
{
    return __atomic_load_n(&a->faults_committed, __ATOMIC_ACQUIRE);
}

/* A one-shot fault of kind `want` for this operation, if it is the first of that kind
 * since arming: the atomic claim gives it to exactly one operation even when requests
 * race on several CPUs. */
static int one_shot(im_adapter *a, uint32_t bit, uint8_t want, uint8_t op)
{
    if (want != IM_FAULT_ANY_OP && want != op)
        return 0;
    return (__atomic_fetch_or(&a->faults_fired, bit, __ATOMIC_ACQ_REL) & bit) == 0;
}

uint32_t im_fault_pick(im_adapter *a, uint8_t op)
{
    uint32_t mask = __atomic_load_n(&a->faults, __ATOMIC_ACQUIRE);
    uint32_t f = mask & ~IM_FAULT_ONE_SHOT;
    if ((mask & IM_FAULT_DROP_COMPLETION) &&
        one_shot(a, IM_FAULT_DROP_COMPLETION, __atomic_load_n(&a->drop_op, __ATOMIC_ACQUIRE),
                 op))
        return f | IM_FAULT_DROP_COMPLETION; /* dropped: a duplicate stays armed */
    if ((mask & IM_FAULT_DUP_COMPLETION) &&
        one_shot(a, IM_FAULT_DUP_COMPLETION, __atomic_load_n(&a->dup_op, __ATOMIC_ACQUIRE),
                 op))
        f |= IM_FAULT_DUP_COMPLETION;
    return f;
}

const char *im_fault_name(uint32_t one_bit)
{
    if (one_bit == 0)
        return "none";
    if (one_bit > IM_FAULT_ALL || (one_bit & (one_bit - 1)) != 0)
        return NULL;
    return fault_names[__builtin_ctz(one_bit)];
}

/* Does the item s[0..n) spell `name`? (No libc here.) */
static int item_is(const char *s, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++) {
        if (name[i] != s[i])
            return 0;
    }
    return name[n] == '\0';
}

static uint32_t item_mask(const char *s, uint32_t n)
{
    if (item_is(s, n, "none"))
        return 0;
    for (uint32_t bit = 0; bit < IM_FAULT_COUNT; bit++) {
        if (item_is(s, n, fault_names[bit]))
            return 1u << bit;
    }
    return UINT32_MAX;
}

uint32_t im_fault_parse(const char *names)
{
    if (names == NULL)
        return UINT32_MAX;
    if (names[0] == '\0')
        return 0;
    uint32_t mask = 0;
    for (const char *s = names;; s++) {
        uint32_t n = 0;
        while (s[n] != '\0' && s[n] != ',')
            n++;
        uint32_t m = n != 0 ? item_mask(s, n) : UINT32_MAX;
        if (m == UINT32_MAX)
            return UINT32_MAX;
        mask |= m;
        s += n;
        if (*s == '\0')
            return mask;
    }
}
