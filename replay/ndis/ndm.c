/* ndm.c - the NDIS model's objects: models, drivers, adapters, bindings, the registry that
 * validates every handle a driver hands back, and NdisSetOptionalHandlers.
 *
 * Drivers pass NDIS handles around as bare pointers, and a wrong or stale one must be
 * counted, never followed into a crash. So every handle is registered process-wide, and a
 * pointer is dereferenced only after the registry has said it is a live handle.
 */
#define _POSIX_C_SOURCE 200809L /* pthread rwlocks under -std=c11 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ndm_internal.h"

/* The registry: every live handle of every model. Handles are few (drivers, adapters,
 * bindings), so a flat array scanned under a read lock is enough. Writers are the setup
 * calls, which the contract keeps single-threaded; routing only reads. */
static pthread_rwlock_t reg_lock = PTHREAD_RWLOCK_INITIALIZER;
static ndm_hdr **reg;
static size_t reg_n, reg_cap;

static int reg_add(ndm_hdr *h)
{
    int ok = 1;
    pthread_rwlock_wrlock(&reg_lock);
    if (reg_n == reg_cap) {
        size_t cap = reg_cap ? reg_cap * 2 : 32;
        ndm_hdr **n = realloc(reg, cap * sizeof *n);
        if (n == NULL)
            ok = 0;
        else {
            reg = n;
            reg_cap = cap;
        }
    }
    if (ok)
        reg[reg_n++] = h;
    pthread_rwlock_unlock(&reg_lock);
    return ok;
}

static void reg_remove_model(const ndm *m)
{
    pthread_rwlock_wrlock(&reg_lock);
    size_t j = 0;
    for (size_t i = 0; i < reg_n; i++) {
        if (reg[i]->model != m)
            reg[j++] = reg[i];
    }
    reg_n = j;
    if (reg_n == 0) {
        free(reg);
        reg = NULL;
        reg_cap = 0;
    }
    pthread_rwlock_unlock(&reg_lock);
}

static ndm_hdr *reg_find(const void *h)
{
    for (size_t i = 0; i < reg_n; i++) {
        if (reg[i] == h)
            return reg[i];
    }
    return NULL;
}

void *ndm_handle_get(const void *h, uint32_t kind)
{
    pthread_rwlock_rdlock(&reg_lock);
    ndm_hdr *hdr = reg_find(h);
    if (hdr != NULL && hdr->magic == NDM_MAGIC && hdr->kind == kind) {
        pthread_rwlock_unlock(&reg_lock);
        return hdr;
    }
    if (hdr != NULL) {
        NDM_COUNT(hdr->model, bad_handle);
    } else {
        for (size_t i = 0; i < reg_n; i++) {
            if (reg[i]->kind == NDM_KIND_MODEL)
                NDM_COUNT(reg[i]->model, bad_handle);
        }
    }
    pthread_rwlock_unlock(&reg_lock);
    return NULL;
}

void *ndm_handle_get_in(const ndm *m, const void *h, uint32_t kind)
{
    pthread_rwlock_rdlock(&reg_lock);
    ndm_hdr *hdr = reg_find(h);
    if (hdr != NULL && (hdr->magic != NDM_MAGIC || hdr->kind != kind || hdr->model != m))
        hdr = NULL;
    pthread_rwlock_unlock(&reg_lock);
    return hdr;
}

/* ---- setup ------------------------------------------------------------------------- */

/* A zeroed object of `size` bytes whose header says `kind`, owned by `m` and registered. */
static void *new_object(ndm *m, size_t size, uint32_t kind)
{
    if (m == NULL || ndm_handle_get_in(m, m, NDM_KIND_MODEL) == NULL)
        return NULL;
    if (m->nobjs == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        ndm_hdr **n = realloc(m->objs, cap * sizeof *n);
        if (n == NULL)
            return NULL;
        m->objs = n;
        m->cap = cap;
    }
    ndm_hdr *h = calloc(1, size);
    if (h == NULL)
        return NULL;
    h->magic = NDM_MAGIC;
    h->kind = kind;
    h->model = m;
    if (!reg_add(h)) {
        free(h);
        return NULL;
    }
    m->objs[m->nobjs++] = h;
    return h;
}

ct_err ndm_new(ndm **out)
{
    *out = NULL;
    ndm *m = calloc(1, sizeof *m);
    if (m == NULL)
        return CT_ERR_NOMEM;
    m->h.magic = NDM_MAGIC;
    m->h.kind = NDM_KIND_MODEL;
    m->h.model = m;
    if (!reg_add(&m->h)) {
        free(m);
        return CT_ERR_NOMEM;
    }
    *out = m;
    return CT_OK;
}

void ndm_free(ndm *m)
{
    if (m == NULL)
        return;
    reg_remove_model(m);
    for (size_t i = 0; i < m->nobjs; i++) {
        m->objs[i]->magic = NDM_MAGIC_DEAD;
        free(m->objs[i]);
    }
    free(m->objs);
    m->h.magic = NDM_MAGIC_DEAD;
    free(m);
}

static void copy_name(char *dst, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n >= NDM_NAME_MAX)
        n = NDM_NAME_MAX - 1;
    if (n)
        memcpy(dst, name, n);
    dst[n] = '\0';
}

ndm_miniport_driver *ndm_register_miniport_driver(ndm *m, const char *name)
{
    ndm_miniport_driver *d = new_object(m, sizeof *d, NDM_KIND_MINIPORT_DRIVER);
    if (d != NULL)
        copy_name(d->name, name);
    return d;
}

ndm_protocol_driver *ndm_register_protocol_driver(ndm *m, const char *name)
{
    ndm_protocol_driver *d = new_object(m, sizeof *d, NDM_KIND_PROTOCOL_DRIVER);
    if (d != NULL)
        copy_name(d->name, name);
    return d;
}

ndm_adapter *ndm_add_adapter(ndm *m, ndm_miniport_driver *drv, void *adapter_context)
{
    if (m == NULL || ndm_handle_get_in(m, drv, NDM_KIND_MINIPORT_DRIVER) == NULL)
        return NULL;
    ndm_adapter *a = new_object(m, sizeof *a, NDM_KIND_ADAPTER);
    if (a != NULL) {
        a->drv = drv;
        a->context = adapter_context;
    }
    return a;
}

ndm_binding *ndm_open_adapter(ndm *m, ndm_protocol_driver *proto, ndm_adapter *adapter,
                              void *protocol_binding_context)
{
    if (m == NULL || ndm_handle_get_in(m, proto, NDM_KIND_PROTOCOL_DRIVER) == NULL ||
        ndm_handle_get_in(m, adapter, NDM_KIND_ADAPTER) == NULL)
        return NULL;
    ndm_binding *b = new_object(m, sizeof *b, NDM_KIND_BINDING);
    if (b != NULL) {
        b->proto = proto;
        b->adapter = adapter;
        b->context = protocol_binding_context;
    }
    return b;
}

void ndm_get_violations(const ndm *m, ndm_violations *v)
{
    v->bad_source_handle = __atomic_load_n(&m->v.bad_source_handle, __ATOMIC_RELAXED);
    v->wrong_adapter = __atomic_load_n(&m->v.wrong_adapter, __ATOMIC_RELAXED);
    v->no_complete_handler = __atomic_load_n(&m->v.no_complete_handler, __ATOMIC_RELAXED);
    v->not_supported = __atomic_load_n(&m->v.not_supported, __ATOMIC_RELAXED);
    v->bad_handle = __atomic_load_n(&m->v.bad_handle, __ATOMIC_RELAXED);
    v->malformed_tree = __atomic_load_n(&m->v.malformed_tree, __ATOMIC_RELAXED);
}

/* ---- NdisSetOptionalHandlers -------------------------------------------------------- */

/* Copy a characteristics struct whose Header.Revision is at least `rev` and whose
 * Header.Size covers the struct through the last handler (the NDIS_SIZEOF_..._REVISION_1
 * rule: our structs end with that handler). */
static NDIS_STATUS store(void *dst, int *has, size_t size, unsigned rev,
                         const NDIS_OBJECT_HEADER *src)
{
    if (src->Revision < rev || src->Size < size)
        return NDIS_STATUS_INVALID_PARAMETER;
    memcpy(dst, src, size);
    *has = 1;
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS set_provider(ndm_miniport_driver *md, const NDIS_OBJECT_HEADER *oh)
{
    switch (oh->Type) {
    case NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS:
        return store(&md->generic, &md->has_generic, sizeof md->generic,
                     NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1, oh);
    case NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_CHARACTERISTICS:
        return store(&md->tcp, &md->has_tcp, sizeof md->tcp,
                     NDIS_PROVIDER_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS_REVISION_1, oh);
    default:
        return NDIS_STATUS_INVALID_PARAMETER;
    }
}

static NDIS_STATUS set_client(ndm_protocol_driver *pd, const NDIS_OBJECT_HEADER *oh)
{
    switch (oh->Type) {
    case NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS:
        return store(&pd->generic, &pd->has_generic, sizeof pd->generic,
                     NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1, oh);
    case NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_CHARACTERISTICS:
        return store(&pd->tcp, &pd->has_tcp, sizeof pd->tcp,
                     NDIS_CLIENT_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS_REVISION_1, oh);
    default:
        return NDIS_STATUS_INVALID_PARAMETER;
    }
}

/* Miniport drivers take PROVIDER characteristics, protocol drivers CLIENT ones; anything
 * else (another handle, another type, a short struct) is NDIS_STATUS_INVALID_PARAMETER. A
 * handle that is no driver at all is also counted as bad_handle. */
NDIS_STATUS NdisSetOptionalHandlers(NDIS_HANDLE NdisHandle,
                                    PNDIS_DRIVER_OPTIONAL_HANDLERS OptionalHandlers)
{
    pthread_rwlock_rdlock(&reg_lock);
    ndm_hdr *h = reg_find(NdisHandle);
    uint32_t kind = h != NULL && h->magic == NDM_MAGIC ? h->kind : 0;
    pthread_rwlock_unlock(&reg_lock);
    if (kind != NDM_KIND_MINIPORT_DRIVER && kind != NDM_KIND_PROTOCOL_DRIVER) {
        ndm_handle_get(NdisHandle, NDM_KIND_MINIPORT_DRIVER); /* counts bad_handle */
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (OptionalHandlers == NULL)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (kind == NDM_KIND_MINIPORT_DRIVER)
        return set_provider((ndm_miniport_driver *)h, &OptionalHandlers->Header);
    return set_client((ndm_protocol_driver *)h, &OptionalHandlers->Header);
}

ct_err ndm_add_offload_target(ndm *m, const char *name, const ndm_target_handlers *h,
                              void *adapter_context, ndm_miniport_driver **drv,
                              ndm_adapter **adapter)
{
    *drv = ndm_register_miniport_driver(m, name);
    *adapter = NULL;
    if (*drv == NULL)
        return CT_ERR_NOMEM;
    NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS ch;
    memset(&ch, 0, sizeof ch);
    ch.Header.Type = NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS;
    ch.Header.Revision = NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1;
    ch.Header.Size = (USHORT)sizeof ch;
    ch.InitiateOffloadHandler = h->initiate;
    ch.TerminateOffloadHandler = h->terminate;
    ch.UpdateOffloadHandler = h->update;
    ch.InvalidateOffloadHandler = h->invalidate;
    ch.QueryOffloadHandler = h->query;
    PNDIS_DRIVER_OPTIONAL_HANDLERS opt = (PNDIS_DRIVER_OPTIONAL_HANDLERS)(void *)&ch;
    if (NdisSetOptionalHandlers((NDIS_HANDLE)*drv, opt) != NDIS_STATUS_SUCCESS)
        return CT_ERR_STATE;
    *adapter = ndm_add_adapter(m, *drv, adapter_context);
    return *adapter != NULL ? CT_OK : CT_ERR_NOMEM;
}
