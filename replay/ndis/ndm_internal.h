/* ndm_internal.h - the NDIS model's objects and handle registry, shared by ndm.c (setup,
 * registration, NdisSetOptionalHandlers) and ndm_route.c (the ten chimney state calls).
 * Not for users of the model: they see only ndm.h.
 */
#ifndef CT_NDM_INTERNAL_H
#define CT_NDM_INTERNAL_H

#include <chimney/ndis_chimney_functions.h>

#include "ndm.h"

/* Every handle starts with this header: a live object has NDM_MAGIC and its kind; a freed
 * one is poisoned. The registry (below) is what makes a lookup safe for any pointer: only
 * registered pointers are ever dereferenced. */
#define NDM_MAGIC 0x4D444E43u        /* "CNDM" */
#define NDM_MAGIC_DEAD 0x44414544u   /* "DEAD" */

enum ndm_kind {
    NDM_KIND_MODEL = 1,
    NDM_KIND_MINIPORT_DRIVER = 2,
    NDM_KIND_PROTOCOL_DRIVER = 3,
    NDM_KIND_ADAPTER = 4,
    NDM_KIND_BINDING = 5
};

typedef struct ndm_hdr {
    uint32_t magic;
    uint32_t kind;   /* enum ndm_kind */
    ndm *model;
} ndm_hdr;

#define NDM_NAME_MAX 64

struct ndm {
    ndm_hdr h;
    ndm_hdr **objs;      /* everything this model owns, freed by ndm_free */
    size_t nobjs, cap;
    ndm_violations v;    /* updated with atomic adds: routing is multi-threaded */
};

struct ndm_miniport_driver {
    ndm_hdr h;
    char name[NDM_NAME_MAX];
    int has_generic, has_tcp;
    NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS generic;
    NDIS_PROVIDER_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS tcp;
};

struct ndm_protocol_driver {
    ndm_hdr h;
    char name[NDM_NAME_MAX];
    int has_generic, has_tcp;
    NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS generic;
    NDIS_CLIENT_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS tcp;
};

struct ndm_adapter {
    ndm_hdr h;
    ndm_miniport_driver *drv;
    void *context;       /* MiniportAdapterContext */
};

struct ndm_binding {
    ndm_hdr h;
    ndm_protocol_driver *proto;
    ndm_adapter *adapter;
    void *context;       /* ProtocolBindingContext */
};

/* The live handle of `kind` that `h` is, or NULL. A miss is counted as bad_handle: in the
 * handle's own model when it is a live handle of another kind, else in every live model. */
void *ndm_handle_get(const void *h, uint32_t kind);

/* Like ndm_handle_get, but only a handle of model `m` qualifies, and nothing is counted. */
void *ndm_handle_get_in(const ndm *m, const void *h, uint32_t kind);

/* Count one fault in `m` (field of ndm_violations). */
#define NDM_COUNT(m, field) __atomic_fetch_add(&(m)->v.field, 1, __ATOMIC_RELAXED)

#endif
