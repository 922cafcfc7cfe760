/* driver.c - DriverEntry and unload of chimshim.sys: registers the chimney IM driver with
 * NDIS 6 as an intermediate driver (a miniport driver with NDIS_INTERMEDIATE_DRIVER for the
 * upper edge, a protocol driver for the lower edge, tied by NdisIMAssociateMiniport),
 * creates the trace shim with one non-paged ring per processor and the control device.
 * The chimney handlers are registered by the IM driver's own im_register_provider/client
 * from the two SetOptions callbacks (miniport.c, protocol.c).
 */
#include "kdrv.h"

kdrv_globals kdrv;

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

static NTSTATUS status_to_nt(NDIS_STATUS st)
{
    /* NDIS_STATUS values on this path are NTSTATUS values (ndis.h maps them 1:1). */
    return (NTSTATUS)st;
}

static void teardown(void)
{
    kdrv_control_deregister();
    if (kdrv.protocol_driver != NULL)
        NdisDeregisterProtocolDriver(kdrv.protocol_driver);
    kdrv.protocol_driver = NULL;
    shim_destroy(kdrv.tracer);
    kdrv.tracer = NULL;
    if (kdrv.miniport_driver != NULL)
        NdisMDeregisterMiniportDriver(kdrv.miniport_driver);
    kdrv.miniport_driver = NULL;
    plat_kernel_unload();
}

/* MINIPORT_DRIVER_UNLOAD: NDIS installs its own DriverUnload and calls this one. */
static VOID kdrv_unload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    teardown();
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS mc;
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc;
    NDIS_STATUS st;

    plat_memset(&kdrv, 0, sizeof kdrv);
    kdrv.driver_object = DriverObject;

    kdrv_miniport_characteristics(&mc);
    mc.UnloadHandler = kdrv_unload;
    st = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &mc,
                                     &kdrv.miniport_driver);
    if (st != NDIS_STATUS_SUCCESS) {
        kdrv.miniport_driver = NULL;
        return status_to_nt(st);
    }
    if (plat_kernel_init(kdrv.miniport_driver) != 0) {
        teardown();
        return STATUS_UNSUCCESSFUL;
    }
    shim_config cfg = {plat_ring_count(), KDRV_RING_BYTES, KDRV_MAX_BLOCKS};
    st = shim_create(&cfg, &kdrv.tracer);
    if (st != NDIS_STATUS_SUCCESS) {
        teardown();
        return status_to_nt(st);
    }
    shim_set_enabled(kdrv.tracer, 1);

    kdrv_protocol_characteristics(&pc);
    st = NdisRegisterProtocolDriver(NULL, &pc, &kdrv.protocol_driver);
    if (st != NDIS_STATUS_SUCCESS) {
        kdrv.protocol_driver = NULL;
        teardown();
        return status_to_nt(st);
    }
    NdisIMAssociateMiniport(kdrv.miniport_driver, kdrv.protocol_driver);

    st = kdrv_control_register();
    if (st != NDIS_STATUS_SUCCESS) {
        teardown();
        return status_to_nt(st);
    }
    return STATUS_SUCCESS;
}
