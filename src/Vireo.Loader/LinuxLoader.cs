using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
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

    /// <summary>The command line, NUL included, fits between <see cref="CmdlineAddress"/> and the EBDA.</summary>
    private static readonly ulong MaxCmdlineBytes = E820Map.EbdaStart.Value - CmdlineAddress.Value;

    /// <summary>
    /// Writes <paramref name="kernel"/>, <paramref name="cmdline"/>, <paramref name="initramfs"/>
    /// (if not empty) and boot_params with <paramref name="e820"/> and the optional
    /// <paramref name="rsdp"/> into <paramref name="memory"/>, and returns where to enter.
    /// Throws <see cref="KernelImageException"/> (one line naming the fix) when the command line
    /// is longer than the kernel accepts or RAM is too small for the kernel or initramfs, and
    /// <see cref="ArgumentException"/> for more e820 entries than boot_params holds.
    /// </summary>
    public static LinuxBootInfo Load(GuestMemory memory, BzImage kernel, string cmdline, ReadOnlyMemory<byte> initramfs, IReadOnlyList<E820Entry> e820, GuestAddress? rsdp = null)
        => Load(memory, kernel, cmdline, (ulong)initramfs.Length, (m, at) => m.Write(at, initramfs.Span), e820, rsdp);

    /// <summary>
    /// As <see cref="Load(GuestMemory, BzImage, string, ReadOnlyMemory{byte}, IReadOnlyList{E820Entry}, GuestAddress?)"/>,
    /// with the initramfs read from <paramref name="initramfsPath"/> straight into guest RAM: no
    /// copy of it stays in the VMM's heap (an initramfs is tens of MiB, read again at every
    /// guest reboot). Throws <see cref="KernelImageException"/> when the file cannot be read or
    /// changes size while it is read.
    /// </summary>
    public static LinuxBootInfo Load(GuestMemory memory, BzImage kernel, string cmdline, string? initramfsPath, IReadOnlyList<E820Entry> e820, GuestAddress? rsdp = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (initramfsPath is null)
        {
            return Load(memory, kernel, cmdline, 0, (_, _) => { }, e820, rsdp);
        }
        SafeFileHandle file;
        long length;
        try
        {
            file = File.OpenHandle(initramfsPath, FileMode.Open, FileAccess.Read);
            length = RandomAccess.GetLength(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelImageException($"cannot read initramfs {initramfsPath}: {e.Message}");
        }
        using (file)
        {
            return Load(memory, kernel, cmdline, (ulong)length, (m, at) => ReadInto(m, at, file, length, initramfsPath), e820, rsdp);
        }
    }

    private static void ReadInto(GuestMemory memory, GuestAddress at, SafeFileHandle file, long length, string path)
    {
        const int Chunk = 16 << 20;
        long done = 0;
        try
        {
            while (done < length)
            {
                Span<byte> target = memory.GetSpan(at.Add((ulong)done), (int)Math.Min(Chunk, length - done));
                int n = RandomAccess.Read(file, target, done);
                if (n == 0)
                {
                    throw new KernelImageException($"initramfs {path} shrank to {done} bytes while it was read (it had {length})");
                }
                done += n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelImageException($"cannot read initramfs {path}: {e.Message}");
        }
    }

    private static LinuxBootInfo Load(GuestMemory memory, BzImage kernel, string cmdline, ulong initramfsLength, Action<GuestMemory, GuestAddress> writeInitramfs, IReadOnlyList<E820Entry> e820, GuestAddress? rsdp)
    {
        SetupHeader image = kernel.Header;
        byte[] cmdlineBytes = Encoding.ASCII.GetBytes(cmdline + "\0");
        // cmdline_size is the image's word (2.06+) and the image may be hostile: the line must
        // also end below the EBDA, or a long one runs through the legacy hole into the kernel.
        ulong cmdlineMax = Math.Min(image.CmdlineSize == 0 ? 256 : image.CmdlineSize + 1UL, MaxCmdlineBytes);
        if ((ulong)cmdlineBytes.Length > cmdlineMax)
        {
            throw new KernelImageException($"the kernel command line is {cmdlineBytes.Length - 1} bytes; this kernel accepts at most {cmdlineMax - 1}");
        }
        if (e820.Count > BootParams.E820MaxEntries)
        {
            throw new ArgumentException($"{e820.Count} e820 entries; boot_params holds {BootParams.E820MaxEntries}", nameof(e820));
        }

        ulong kernelEnd = KernelAddress.Value + Math.Max(image.InitSize, (ulong)kernel.ProtectedModeKernelLength);
        if (!memory.IsRange(KernelAddress, kernelEnd - KernelAddress.Value))
        {
            throw new KernelImageException($"the kernel needs 0x{kernelEnd:x} bytes of RAM from 1 MiB to decompress; give the guest more memory");
        }
        kernel.WriteProtectedModeKernel(memory, KernelAddress);
        memory.Write(CmdlineAddress, cmdlineBytes);

        BootParams bootParams = default;
        bootParams.Hdr = image;
        bootParams.Hdr.TypeOfLoader = UndefinedLoader;
        bootParams.Hdr.CmdLinePtr = (uint)CmdlineAddress.Value;
        // Fields the loader owns (boot.rst "write (obligatory)" / "write (special)"): what the
        // image file holds there is no pointer into this guest, so none of it may reach the kernel.
        bootParams.Hdr.RamdiskImage = 0;
        bootParams.Hdr.RamdiskSize = 0;
        bootParams.Hdr.SetupData = 0;
        bootParams.AcpiRsdpAddr = rsdp?.Value ?? 0;
        for (int i = 0; i < e820.Count; i++)
        {
            bootParams.E820[i] = e820[i];
        }
        bootParams.E820Entries = (byte)e820.Count;

        GuestAddress? initramfsAddress = null;
        if (initramfsLength > 0)
        {
            GuestAddress at = PlaceInitramfs(memory, image, kernelEnd, initramfsLength);
            writeInitramfs(memory, at);
            bootParams.Hdr.RamdiskImage = (uint)at.Value;
            bootParams.Hdr.RamdiskSize = (uint)initramfsLength;
            bootParams.ExtRamdiskImage = (uint)(at.Value >> 32);
            bootParams.ExtRamdiskSize = (uint)(initramfsLength >> 32);
            initramfsAddress = at;
        }

        Span<byte> raw = MemoryMarshal.AsBytes(new Span<BootParams>(ref bootParams));
        memory.Write(BootParamsAddress, raw);
        return new LinuxBootInfo(KernelAddress.Add(Entry64Offset), BootParamsAddress, KernelAddress, CmdlineAddress, initramfsAddress, initramfsLength);
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
