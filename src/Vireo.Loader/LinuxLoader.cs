using System.Runtime.InteropServices;
using System.Text;
using Vireo.Memory;

namespace Vireo.Loader;

/// <summary>
/// Loads a bzImage for the 64-bit boot protocol: the protected-mode kernel at 1 MiB, the command
/// line, an initramfs as high as the kernel allows, and boot_params with the e820 map.
/// </summary>
public static class LinuxLoader
{
    /// <summary>
    /// Where boot_params (the zero page) is written; RSI points here at the 64-bit entry.
    /// </summary>
    public static readonly GuestAddress BootParamsAddress = new(0x7000);
    /// <summary>
    /// Where the NUL-terminated command line is written (setup_header.cmd_line_ptr).
    /// </summary>
    public static readonly GuestAddress CmdlineAddress = new(0x20000);
    /// <summary>
    /// Where the protected-mode kernel is loaded: 1 MiB, the boot protocol's default.
    /// </summary>
    public static readonly GuestAddress KernelAddress = new(0x100000);

    /// <summary>The 64-bit entry point is 0x200 past the protected-mode kernel's start (boot.rst, "64-bit BOOT PROTOCOL").</summary>
    private const ulong Entry64Offset = 0x200;
    private const byte UndefinedLoader = 0xff;
    private const ulong PageSize = 4096;

    /// <summary>
    /// Writes <paramref name="kernel"/>, <paramref name="cmdline"/>, <paramref name="initramfs"/>
    /// (if not empty) and boot_params with <paramref name="e820"/> and the optional
    /// <paramref name="rsdp"/> into <paramref name="memory"/>, and returns where to enter.
    /// Throws <see cref="KernelImageException"/> (one line naming the fix) when the command line
    /// is longer than the kernel accepts or RAM is too small for the kernel or initramfs, and
    /// <see cref="ArgumentException"/> for more e820 entries than boot_params holds.
    /// </summary>
    public static LinuxBootInfo Load(GuestMemory memory, BzImage kernel, string cmdline, ReadOnlyMemory<byte> initramfs, IReadOnlyList<E820Entry> e820, GuestAddress? rsdp = null)
    {
        SetupHeader image = kernel.Header;
        byte[] cmdlineBytes = Encoding.ASCII.GetBytes(cmdline + "\0");
        uint cmdlineMax = image.CmdlineSize == 0 ? 256 : image.CmdlineSize + 1;
        if ((uint)cmdlineBytes.Length > cmdlineMax)
        {
            throw new KernelImageException($"the kernel command line is {cmdlineBytes.Length - 1} bytes; this kernel accepts at most {cmdlineMax - 1}");
        }
        if (e820.Count > BootParams.E820MaxEntries)
        {
            throw new ArgumentException($"{e820.Count} e820 entries; boot_params holds {BootParams.E820MaxEntries}", nameof(e820));
        }

        ulong kernelEnd = KernelAddress.Value + Math.Max(image.InitSize, (uint)kernel.ProtectedModeKernel.Length);
        if (!memory.IsRange(KernelAddress, kernelEnd - KernelAddress.Value))
        {
            throw new KernelImageException($"the kernel needs 0x{kernelEnd:x} bytes of RAM from 1 MiB to decompress; give the guest more memory");
        }
        memory.Write(KernelAddress, kernel.ProtectedModeKernel.Span);
        memory.Write(CmdlineAddress, cmdlineBytes);

        BootParams bootParams = default;
        bootParams.Hdr = image;
        bootParams.Hdr.TypeOfLoader = UndefinedLoader;
        bootParams.Hdr.CmdLinePtr = (uint)CmdlineAddress.Value;
        bootParams.AcpiRsdpAddr = rsdp?.Value ?? 0;
        for (int i = 0; i < e820.Count; i++)
        {
            bootParams.E820[i] = e820[i];
        }
        bootParams.E820Entries = (byte)e820.Count;

        GuestAddress? initramfsAddress = null;
        if (!initramfs.IsEmpty)
        {
            GuestAddress at = PlaceInitramfs(memory, image, kernelEnd, (ulong)initramfs.Length);
            memory.Write(at, initramfs.Span);
            bootParams.Hdr.RamdiskImage = (uint)at.Value;
            bootParams.Hdr.RamdiskSize = (uint)initramfs.Length;
            bootParams.ExtRamdiskImage = (uint)(at.Value >> 32);
            bootParams.ExtRamdiskSize = (uint)((ulong)initramfs.Length >> 32);
            initramfsAddress = at;
        }

        Span<byte> raw = MemoryMarshal.AsBytes(new Span<BootParams>(ref bootParams));
        memory.Write(BootParamsAddress, raw);
        return new LinuxBootInfo(KernelAddress.Add(Entry64Offset), BootParamsAddress, KernelAddress, CmdlineAddress, initramfsAddress, (ulong)initramfs.Length);
    }

    /// <summary>The highest page-aligned spot that ends at or below initrd_addr_max and inside
    /// the RAM region holding the kernel, above the kernel's decompression area.</summary>
    private static GuestAddress PlaceInitramfs(GuestMemory memory, SetupHeader image, ulong kernelEnd, ulong size)
    {
        GuestRegion low = memory.Regions.First(r => r.Contains(KernelAddress));
        ulong limit = Math.Min(low.End, (ulong)image.InitrdAddrMax + 1);
        if (size > limit || (limit - size) / PageSize * PageSize < AlignUp(kernelEnd))
        {
            throw new KernelImageException(
                $"the initramfs ({size >> 20} MiB) does not fit between the kernel (ends at 0x{kernelEnd:x}) and 0x{limit:x}; give the guest more memory or use a smaller initramfs");
        }
        return new GuestAddress((limit - size) / PageSize * PageSize);
    }

    private static ulong AlignUp(ulong value) => (value + PageSize - 1) / PageSize * PageSize;
}
