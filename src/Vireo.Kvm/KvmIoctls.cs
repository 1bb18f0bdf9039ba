using System.Runtime.CompilerServices;
using Vireo.Sys;

namespace Vireo.Kvm;

/// <summary>ioctl request numbers from linux/kvm.h, encoded from the struct sizes so a layout
/// mistake shows up as a wrong request number in the layout tests as well.</summary>
internal static partial class KvmIoctls
{
    // linux/kvm.h: #define KVMIO 0xAE
    internal const uint KvmIo = 0xAE;

    // System ioctls (linux/kvm.h).
    internal static readonly nuint GetApiVersion = IoctlNumber.Io(KvmIo, 0x00);
    internal static readonly nuint CreateVm = IoctlNumber.Io(KvmIo, 0x01);
    internal static readonly nuint GetMsrIndexList = IoctlNumber.Iowr(KvmIo, 0x02, Unsafe.SizeOf<KvmMsrListHeader>());
    internal static readonly nuint CheckExtension = IoctlNumber.Io(KvmIo, 0x03);
    internal static readonly nuint GetVcpuMmapSize = IoctlNumber.Io(KvmIo, 0x04);
    internal static readonly nuint GetSupportedCpuid = IoctlNumber.Iowr(KvmIo, 0x05, Unsafe.SizeOf<KvmCpuid2Header>());

    // VM ioctls (linux/kvm.h).
    internal static readonly nuint CreateVcpu = IoctlNumber.Io(KvmIo, 0x41);
    internal static readonly nuint SetUserMemoryRegion = IoctlNumber.Iow(KvmIo, 0x46, Unsafe.SizeOf<KvmUserspaceMemoryRegion>());
    internal static readonly nuint SetTssAddr = IoctlNumber.Io(KvmIo, 0x47);
    internal static readonly nuint SetIdentityMapAddr = IoctlNumber.Iow(KvmIo, 0x48, sizeof(ulong));
    internal static readonly nuint CreateIrqchip = IoctlNumber.Io(KvmIo, 0x60);
    internal static readonly nuint IrqLine = IoctlNumber.Iow(KvmIo, 0x61, Unsafe.SizeOf<KvmIrqLevel>());
    internal static readonly nuint GetIrqchip = IoctlNumber.Iowr(KvmIo, 0x62, Unsafe.SizeOf<KvmIrqchip>());
    // The kernel header really declares KVM_SET_IRQCHIP as _IOR (a historical mistake kept for ABI).
    internal static readonly nuint SetIrqchip = IoctlNumber.Ior(KvmIo, 0x63, Unsafe.SizeOf<KvmIrqchip>());
    internal static readonly nuint SetGsiRouting = IoctlNumber.Iow(KvmIo, 0x6a, Unsafe.SizeOf<KvmIrqRoutingHeader>());
    internal static readonly nuint Irqfd = IoctlNumber.Iow(KvmIo, 0x76, Unsafe.SizeOf<KvmIrqfd>());
    internal static readonly nuint CreatePit2 = IoctlNumber.Iow(KvmIo, 0x77, Unsafe.SizeOf<KvmPitConfig>());
    internal static readonly nuint Ioeventfd = IoctlNumber.Iow(KvmIo, 0x79, Unsafe.SizeOf<KvmIoeventfd>());
    internal static readonly nuint SetClock = IoctlNumber.Iow(KvmIo, 0x7b, Unsafe.SizeOf<KvmClockData>());
    internal static readonly nuint GetClock = IoctlNumber.Ior(KvmIo, 0x7c, Unsafe.SizeOf<KvmClockData>());
    internal static readonly nuint GetPit2 = IoctlNumber.Ior(KvmIo, 0x9f, Unsafe.SizeOf<KvmPitState2>());
    internal static readonly nuint SetPit2 = IoctlNumber.Iow(KvmIo, 0xa0, Unsafe.SizeOf<KvmPitState2>());

    // vCPU ioctls (linux/kvm.h).
    internal static readonly nuint Run = IoctlNumber.Io(KvmIo, 0x80);
    internal static readonly nuint GetRegs = IoctlNumber.Ior(KvmIo, 0x81, Unsafe.SizeOf<KvmRegs>());
    internal static readonly nuint SetRegs = IoctlNumber.Iow(KvmIo, 0x82, Unsafe.SizeOf<KvmRegs>());
    internal static readonly nuint GetSregs = IoctlNumber.Ior(KvmIo, 0x83, Unsafe.SizeOf<KvmSregs>());
    internal static readonly nuint SetSregs = IoctlNumber.Iow(KvmIo, 0x84, Unsafe.SizeOf<KvmSregs>());
    internal static readonly nuint GetMsrs = IoctlNumber.Iowr(KvmIo, 0x88, Unsafe.SizeOf<KvmMsrsHeader>());
    internal static readonly nuint SetMsrs = IoctlNumber.Iow(KvmIo, 0x89, Unsafe.SizeOf<KvmMsrsHeader>());
    internal static readonly nuint SetSignalMask = IoctlNumber.Iow(KvmIo, 0x8b, KvmSignalMask.HeaderSize);
    internal static readonly nuint GetFpu = IoctlNumber.Ior(KvmIo, 0x8c, Unsafe.SizeOf<KvmFpu>());
    internal static readonly nuint SetFpu = IoctlNumber.Iow(KvmIo, 0x8d, Unsafe.SizeOf<KvmFpu>());
    internal static readonly nuint GetLapic = IoctlNumber.Ior(KvmIo, 0x8e, Unsafe.SizeOf<KvmLapicState>());
    internal static readonly nuint SetLapic = IoctlNumber.Iow(KvmIo, 0x8f, Unsafe.SizeOf<KvmLapicState>());
    internal static readonly nuint SetCpuid2 = IoctlNumber.Iow(KvmIo, 0x90, Unsafe.SizeOf<KvmCpuid2Header>());
    internal static readonly nuint GetCpuid2 = IoctlNumber.Iowr(KvmIo, 0x91, Unsafe.SizeOf<KvmCpuid2Header>());
    internal static readonly nuint GetMpState = IoctlNumber.Ior(KvmIo, 0x98, Unsafe.SizeOf<KvmMpState>());
    internal static readonly nuint SetMpState = IoctlNumber.Iow(KvmIo, 0x99, Unsafe.SizeOf<KvmMpState>());
    internal static readonly nuint GetVcpuEvents = IoctlNumber.Ior(KvmIo, 0x9f, Unsafe.SizeOf<KvmVcpuEvents>());
    internal static readonly nuint SetVcpuEvents = IoctlNumber.Iow(KvmIo, 0xa0, Unsafe.SizeOf<KvmVcpuEvents>());
    internal static readonly nuint GetDebugregs = IoctlNumber.Ior(KvmIo, 0xa1, Unsafe.SizeOf<KvmDebugregs>());
    internal static readonly nuint SetDebugregs = IoctlNumber.Iow(KvmIo, 0xa2, Unsafe.SizeOf<KvmDebugregs>());
    internal static readonly nuint GetXsave = IoctlNumber.Ior(KvmIo, 0xa4, Unsafe.SizeOf<KvmXsave>());
    internal static readonly nuint SetXsave = IoctlNumber.Iow(KvmIo, 0xa5, Unsafe.SizeOf<KvmXsave>());
    internal static readonly nuint GetXcrs = IoctlNumber.Ior(KvmIo, 0xa6, Unsafe.SizeOf<KvmXcrs>());
    internal static readonly nuint SetXcrs = IoctlNumber.Iow(KvmIo, 0xa7, Unsafe.SizeOf<KvmXcrs>());
    internal static readonly nuint GetXsave2 = IoctlNumber.Ior(KvmIo, 0xcf, Unsafe.SizeOf<KvmXsave>());
    internal static readonly nuint RegisterCoalescedMmio = IoctlNumber.Iow(KvmIo, 0x67, Unsafe.SizeOf<KvmCoalescedMmioZone>());
    internal static readonly nuint UnregisterCoalescedMmio = IoctlNumber.Iow(KvmIo, 0x68, Unsafe.SizeOf<KvmCoalescedMmioZone>());
}
