using System.Runtime.InteropServices;
using Vireo.Memory;

namespace Vireo.Loader.Tests;

public sealed class LinuxLoaderTests
{
    private const ulong MiB = 1UL << 20;

    [Fact]
    public void LoadPlacesKernelCmdlineInitramfsAndBootParams()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), 64 * MiB));
        BzImage kernel = BzImage.Parse(FakeBzImage.Build());
        byte[] initramfs = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();

        LinuxBootInfo info = LinuxLoader.Load(memory, kernel, "console=ttyS0 reboot=k", initramfs, E820Map.For(memory));

        Assert.Equal(0x100200UL, info.EntryPoint.Value);
        Assert.Equal(kernel.ProtectedModeKernel.Span[..256].ToArray(), Read(memory, info.KernelAddress, 256));
        Assert.Equal("console=ttyS0 reboot=k\0"u8.ToArray(), Read(memory, info.CmdlineAddress, 23));

        BootParams bp = memory.Read<BootParams>(info.BootParamsAddress);
        Assert.Equal(0x53726448u, bp.Hdr.Header);
        Assert.Equal(0xff, bp.Hdr.TypeOfLoader);
        Assert.Equal((uint)info.CmdlineAddress.Value, bp.Hdr.CmdLinePtr);
        Assert.Equal((uint)initramfs.Length, bp.Hdr.RamdiskSize);
        Assert.Equal(info.InitramfsAddress!.Value.Value, (ulong)bp.Hdr.RamdiskImage);
        Assert.Equal(0UL, bp.Hdr.RamdiskImage % 4096);
        Assert.True(bp.Hdr.RamdiskImage + (ulong)initramfs.Length <= 64 * MiB);
        Assert.True(bp.Hdr.RamdiskImage >= 0x100000 + 0x200000, "initramfs overlaps the kernel's decompression area");
        Assert.Equal(initramfs, Read(memory, info.InitramfsAddress.Value, initramfs.Length));
    }

    [Fact]
    public void AnInitramfsFileIsReadStraightIntoGuestRamWhereTheBytesVersionPutsIt()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), 64 * MiB));
        using GuestMemory reference = GuestMemory.Create((new GuestAddress(0), 64 * MiB));
        BzImage kernel = BzImage.Parse(FakeBzImage.Build());
        byte[] initramfs = Enumerable.Range(0, 3 * (int)MiB + 123).Select(i => (byte)(i * 7)).ToArray();
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, initramfs);

            LinuxBootInfo info = LinuxLoader.Load(memory, kernel, "console=ttyS0", path, E820Map.For(memory));
            LinuxBootInfo expected = LinuxLoader.Load(reference, kernel, "console=ttyS0", initramfs, E820Map.For(reference));

            Assert.Equal(expected, info);
            Assert.Equal(initramfs, Read(memory, info.InitramfsAddress!.Value, initramfs.Length));
            Assert.Equal(reference.Read<BootParams>(expected.BootParamsAddress).Hdr.RamdiskSize, memory.Read<BootParams>(info.BootParamsAddress).Hdr.RamdiskSize);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AMissingInitramfsFileIsAOneLineLoaderError()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), 64 * MiB));
        BzImage kernel = BzImage.Parse(FakeBzImage.Build());

        var e = Assert.Throws<KernelImageException>(() => LinuxLoader.Load(memory, kernel, "", "/nonexistent/initrd.img", E820Map.For(memory)));

        Assert.StartsWith("cannot read initramfs /nonexistent/initrd.img", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoInitramfsPathLoadsNone()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), 64 * MiB));
        BzImage kernel = BzImage.Parse(FakeBzImage.Build());

        LinuxBootInfo info = LinuxLoader.Load(memory, kernel, "", (string?)null, E820Map.For(memory));

        Assert.Null(info.InitramfsAddress);
        Assert.Equal(0u, memory.Read<BootParams>(info.BootParamsAddress).Hdr.RamdiskSize);
    }

    [Fact]
    public void TheE820MapHasLowRamTheBiosHoleAndRamFromOneMiB()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), 64 * MiB), (new GuestAddress(4UL << 30), 16 * MiB));
        BzImage kernel = BzImage.Parse(FakeBzImage.Build());

        LinuxBootInfo info = LinuxLoader.Load(memory, kernel, "", ReadOnlyMemory<byte>.Empty, E820Map.For(memory));

        BootParams bp = memory.Read<BootParams>(info.BootParamsAddress);
        Assert.Equal(4, bp.E820Entries);
        Assert.Equal((0UL, 0x9fc00UL, E820Type.Ram), (bp.E820[0].Address, bp.E820[0].Size, bp.E820[0].Type));
        Assert.Equal((0x9fc00UL, 0x100000UL - 0x9fc00, E820Type.Reserved), (bp.E820[1].Address, bp.E820[1].Size, bp.E820[1].Type));
        Assert.Equal((0x100000UL, 63 * MiB, E820Type.Ram), (bp.E820[2].Address, bp.E820[2].Size, bp.E820[2].Type));
        Assert.Equal((4UL << 30, 16 * MiB, E820Type.Ram), (bp.E820[3].Address, bp.E820[3].Size, bp.E820[3].Type));
        Assert.Null(info.InitramfsAddress);
    }

    [Fact]
    public void ReservedDeviceWindowsJoinTheE820MapInAddressOrder()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), 64 * MiB), (new GuestAddress(4UL << 30), 16 * MiB));
        var ecam = new E820Entry { Address = 0xe000_0000, Size = MiB, Type = E820Type.Reserved };

        IReadOnlyList<E820Entry> map = E820Map.For(memory, [ecam]);

        Assert.Equal([0UL, 0x9fc00, 0x100000, 0xe000_0000, 4UL << 30], map.Select(e => e.Address));
        Assert.Equal((MiB, E820Type.Reserved), (map[3].Size, map[3].Type));
        // A window on top of RAM, an empty one or one that wraps is a builder bug, caught here.
        Assert.Throws<ArgumentException>(() => E820Map.For(memory, [new E820Entry { Address = 32 * MiB, Size = MiB, Type = E820Type.Reserved }]));
        Assert.Throws<ArgumentException>(() => E820Map.For(memory, [new E820Entry { Address = 0xe000_0000, Size = 0, Type = E820Type.Reserved }]));
        Assert.Throws<ArgumentException>(() => E820Map.For(memory, [new E820Entry { Address = ulong.MaxValue, Size = 2, Type = E820Type.Reserved }]));
    }

    [Fact]
    public void TheInitramfsStaysBelowInitrdAddrMax()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), 64 * MiB));
        BzImage kernel = BzImage.Parse(FakeBzImage.Build(initrdAddrMax: (uint)(16 * MiB - 1)));

        LinuxBootInfo info = LinuxLoader.Load(memory, kernel, "", new byte[5000], E820Map.For(memory));

        Assert.True(info.InitramfsAddress!.Value.Value + 5000 <= 16 * MiB);
        Assert.True(info.InitramfsAddress.Value.Value >= 15 * MiB);
    }

    [Fact]
    public void AnInitramfsThatDoesNotFitIsAClearError()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), 8 * MiB));
        BzImage kernel = BzImage.Parse(FakeBzImage.Build());

        var e = Assert.Throws<KernelImageException>(() => LinuxLoader.Load(memory, kernel, "", new byte[6 * MiB], E820Map.For(memory)));
        Assert.Contains("more memory", e.Message);
    }

    [Fact]
    public void ACommandLineLongerThanTheKernelAcceptsIsRejected()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), 8 * MiB));
        BzImage kernel = BzImage.Parse(FakeBzImage.Build(cmdlineSize: 16));

        var e = Assert.Throws<KernelImageException>(() => LinuxLoader.Load(memory, kernel, new string('x', 17), ReadOnlyMemory<byte>.Empty, E820Map.For(memory)));
        Assert.Contains("at most 16", e.Message);
    }

    [Fact]
    public void ACommandLineTheImageAllowsIsStillRefusedWhereItWouldRunIntoTheEbdaAndTheKernel()
    {
        // Found by fuzzing (tools/fuzz/loader.sh): cmdline_size is the image's word, and a line
        // of 0xe0001 bytes from 0x20000 went through the legacy hole and over the kernel at 1 MiB.
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), 64 * MiB));
        BzImage kernel = BzImage.Parse(FakeBzImage.Build(cmdlineSize: uint.MaxValue));
        ulong room = E820Map.EbdaStart.Value - LinuxLoader.CmdlineAddress.Value;

        var e = Assert.Throws<KernelImageException>(() => LinuxLoader.Load(memory, kernel, new string('x', 0xe0001), ReadOnlyMemory<byte>.Empty, E820Map.For(memory)));
        Assert.Contains($"at most {room - 1}", e.Message);
        Assert.Throws<KernelImageException>(() => LinuxLoader.Load(memory, kernel, new string('x', (int)room), ReadOnlyMemory<byte>.Empty, E820Map.For(memory)));

        // The longest line that fits ends with its NUL right below the EBDA.
        LinuxBootInfo info = LinuxLoader.Load(memory, kernel, new string('x', (int)room - 1), ReadOnlyMemory<byte>.Empty, E820Map.For(memory));
        Assert.Equal(new byte[] { (byte)'x', 0 }, Read(memory, new GuestAddress(E820Map.EbdaStart.Value - 2), 2));
        Assert.Equal(kernel.ProtectedModeKernel.Span[..256].ToArray(), Read(memory, info.KernelAddress, 256));
    }

    [Fact]
    public void RamdiskAndSetupDataPointersInTheImageFileNeverReachBootParams()
    {
        // Found by fuzzing: the image's own ramdisk_image/ramdisk_size (and setup_data) were
        // copied into boot_params with the rest of its header, so a kernel booted without an
        // initramfs was told of one at an address the file chose.
        byte[] file = FakeBzImage.Build();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(0x218), 0x0123_0000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(0x21c), 0x1000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(0x250), 0x0456_0000);
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), 64 * MiB));
        BzImage kernel = BzImage.Parse(file);

        LinuxBootInfo info = LinuxLoader.Load(memory, kernel, "console=ttyS0", ReadOnlyMemory<byte>.Empty, E820Map.For(memory));

        BootParams bp = memory.Read<BootParams>(info.BootParamsAddress);
        Assert.Equal((0u, 0u, 0UL), (bp.Hdr.RamdiskImage, bp.Hdr.RamdiskSize, bp.Hdr.SetupData));
        Assert.Equal((0u, 0u), (bp.ExtRamdiskImage, bp.ExtRamdiskSize));
    }

    [Fact]
    public void BootParamsIsOnePage()
    {
        Assert.Equal(4096, Marshal.SizeOf<BootParams>());
    }

    private static byte[] Read(GuestMemory memory, GuestAddress at, int length)
    {
        var buffer = new byte[length];
        memory.Read(at, buffer);
        return buffer;
    }
}
