using System.Runtime.CompilerServices;
using Vireo.Sys;

namespace Vireo.Kvm;

// The ioctls the arm64 port needs. ONE_REG, REG_LIST and the device-control API are generic
// KVM ioctls, but arm64 is where Vireo first uses them; the encoding is the generic _IOC on both
// architectures, which the arm64 layout tests check against aarch64-linux-gnu-gcc.
internal static partial class KvmIoctls
{
    // VM ioctls (linux/kvm.h).
    internal static readonly nuint ArmPreferredTarget = IoctlNumber.Ior(KvmIo, 0xaf, Unsafe.SizeOf<KvmVcpuInit>());
    internal static readonly nuint CreateDevice = IoctlNumber.Iowr(KvmIo, 0xe0, Unsafe.SizeOf<KvmCreateDevice>());

    // Device ioctls, also accepted on VM and vCPU fds (linux/kvm.h). GET is _IOW in the header:
    // the struct only carries the address the kernel writes the value to.
    internal static readonly nuint SetDeviceAttr = IoctlNumber.Iow(KvmIo, 0xe1, Unsafe.SizeOf<KvmDeviceAttr>());
    internal static readonly nuint GetDeviceAttr = IoctlNumber.Iow(KvmIo, 0xe2, Unsafe.SizeOf<KvmDeviceAttr>());
    internal static readonly nuint HasDeviceAttr = IoctlNumber.Iow(KvmIo, 0xe3, Unsafe.SizeOf<KvmDeviceAttr>());

    // vCPU ioctls (linux/kvm.h). GET_ONE_REG is _IOW for the same reason as GET_DEVICE_ATTR.
    internal static readonly nuint GetOneReg = IoctlNumber.Iow(KvmIo, 0xab, Unsafe.SizeOf<KvmOneReg>());
    internal static readonly nuint SetOneReg = IoctlNumber.Iow(KvmIo, 0xac, Unsafe.SizeOf<KvmOneReg>());
    internal static readonly nuint ArmVcpuInit = IoctlNumber.Iow(KvmIo, 0xae, Unsafe.SizeOf<KvmVcpuInit>());
    internal static readonly nuint GetRegList = IoctlNumber.Iowr(KvmIo, 0xb0, KvmRegListHeader.HeaderSize);
    internal static readonly nuint ArmVcpuFinalize = IoctlNumber.Iow(KvmIo, 0xc2, sizeof(int));
}
