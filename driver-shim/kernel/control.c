/* control.c - the control device \Device\ChimShim (\\.\ChimShim) and its IOCTL dispatch.
 *
 * User mode drains the shim's rings through it (include/chimney/shim_ioctl.h is the
 * interface, KERNEL.md the spec). This file only checks the IRP and calls the portable
 * shim_ctl_* functions that the model's tests run too, so the bytes a READ returns are
 * made by the same code everywhere. One consumer at a time: a spin lock serialises the
 * calls (the buffers are METHOD_BUFFERED, so non-paged).
 */
#include "kdrv.h"
#include "shim_ctl.h"

/* The layout KERNEL.md specifies for READ (x64); a change must bump
 * SHIM_RECORD_LAYOUT_VERSION and the spec. */
_Static_assert(sizeof(shim_event_rec) == 56 && sizeof(shim_block_rec) == 208 &&
               sizeof(shim_loss_rec) == 56, "READ record layout (KERNEL.md, section 3)");

static plat_spinlock ctl_lock;
static shim_ctl_reader ctl_reader;

static NTSTATUS ctl_complete(PIRP irp, NTSTATUS st, ULONG_PTR info)
{
    irp->IoStatus.Status = st;
    irp->IoStatus.Information = info;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return st;
}

static NTSTATUS ctl_create_close(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    return ctl_complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS ctl_ioctl(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    PIO_STACK_LOCATION sl = IoGetCurrentIrpStackLocation(irp);
    ULONG code = sl->Parameters.DeviceIoControl.IoControlCode;
    ULONG out_len = sl->Parameters.DeviceIoControl.OutputBufferLength;
    void *buf = irp->AssociatedIrp.SystemBuffer;
    uint32_t written = 0;
    NDIS_STATUS st = NDIS_STATUS_SUCCESS;
    shim *s = kdrv.tracer;

    if (s == NULL)
        return ctl_complete(irp, STATUS_DEVICE_NOT_READY, 0);
    plat_spin_acquire(&ctl_lock);
    switch (code) {
    case SHIM_IOCTL_GET_INFO:
        if (buf == NULL || out_len < sizeof(shim_ioctl_info)) {
            st = NDIS_STATUS_INVALID_PARAMETER;
            break;
        }
        shim_ctl_info(s, buf);
        written = sizeof(shim_ioctl_info);
        break;
    case SHIM_IOCTL_READ:
        st = shim_ctl_read(s, &ctl_reader, buf, out_len, &written);
        break;
    case SHIM_IOCTL_STATS:
        st = shim_ctl_stats(s, buf, out_len, &written);
        break;
    case SHIM_IOCTL_ENABLE:
        shim_set_enabled(s, 1);
        break;
    case SHIM_IOCTL_DISABLE:
        shim_set_enabled(s, 0);
        break;
    case SHIM_IOCTL_RESET:
        shim_ctl_discard(s);
        break;
    default:
        plat_spin_release(&ctl_lock);
        return ctl_complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
    plat_spin_release(&ctl_lock);
    if (st == NDIS_STATUS_INVALID_PARAMETER)
        return ctl_complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
    return ctl_complete(irp, STATUS_SUCCESS, written);
}

NDIS_STATUS kdrv_control_register(void)
{
    static WCHAR dev_chars[] = SHIM_DEVICE_NAME;
    static WCHAR link_chars[] = SHIM_DOS_DEVICE_NAME;
    /* SDDL_DEVOBJ_SYS_ALL_ADM_ALL: SYSTEM and Administrators only. */
    static WCHAR sddl_chars[] = L"D:P(A;;GA;;;SY)(A;;GA;;;BA)";
    static NDIS_STRING dev_name = {sizeof dev_chars - 2, sizeof dev_chars, dev_chars};
    static NDIS_STRING link_name = {sizeof link_chars - 2, sizeof link_chars, link_chars};
    static UNICODE_STRING sddl = {sizeof sddl_chars - 2, sizeof sddl_chars, sddl_chars};
    static PDRIVER_DISPATCH major[IRP_MJ_MAXIMUM_FUNCTION + 1];
    NDIS_DEVICE_OBJECT_ATTRIBUTES at;

    plat_spin_init(&ctl_lock);
    plat_memset(&ctl_reader, 0, sizeof ctl_reader);
    plat_memset(major, 0, sizeof major);
    major[IRP_MJ_CREATE] = ctl_create_close;
    major[IRP_MJ_CLEANUP] = ctl_create_close;
    major[IRP_MJ_CLOSE] = ctl_create_close;
    major[IRP_MJ_DEVICE_CONTROL] = ctl_ioctl;

    plat_memset(&at, 0, sizeof at);
    at.Header.Type = NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES;
    at.Header.Revision = NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
    at.Header.Size = (USHORT)sizeof at;
    at.DeviceName = &dev_name;
    at.SymbolicName = &link_name;
    at.MajorFunctions = major;
    at.ExtensionSize = 0;
    at.DefaultSDDLString = &sddl;
    return NdisRegisterDeviceEx(kdrv.miniport_driver, &at, &kdrv.device, &kdrv.device_handle);
}

void kdrv_control_deregister(void)
{
    if (kdrv.device_handle != NULL)
        NdisDeregisterDeviceEx(kdrv.device_handle);
    kdrv.device_handle = NULL;
    kdrv.device = NULL;
}
