/* pe_reject_probe.c - a deliberately wrong "driver" for the PE check's self-test. It calls
 * puts, which ntoskrnl.exe does not export, so the import comes from msvcrt.dll, a
 * user-mode DLL no kernel image can load; and it imports no chimney function.
 * tests/kernel.cmake links it and expects check_pe.sh to reject it for both reasons,
 * which shows the check can fail.
 */
int puts(const char *s);
long DriverEntry(void *driver_object, void *registry_path);

long DriverEntry(void *driver_object, void *registry_path)
{
    (void)registry_path;
    return (long)puts((const char *)driver_object);
}
