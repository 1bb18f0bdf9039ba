using System.Buffers.Binary;
using Vireo.Memory;

namespace Vireo.Loader.Fuzz;

/// <summary>What <see cref="Arm64ImageTarget.Run"/> did with one input.</summary>
public enum Arm64ImageOutcome
{
    /// <summary>The input is shorter than its choices: nothing was tried.</summary>
    TooShort,

    /// <summary>The loader refused the file or the RAM with its documented <see cref="KernelImageException"/>.</summary>
    Refused,

    /// <summary>The kernel was read, placed and written, and every invariant held.</summary>
    Loaded,
}

/// <summary>
/// An arm64 kernel file as hostile as the fuzzer makes it (a plain Image, gzip or EFI zboot),
/// read by <see cref="Arm64Image.Parse"/>, placed by <see cref="Arm64Image.Place"/> in RAM at
/// 1 GiB (where the arm64 machine puts it) with a device tree and an initrd of the input's sizes,
/// and written into that RAM. Only a <see cref="KernelImageException"/> may refuse it; anything
/// else thrown is a defect, and so is a placement that breaks an invariant
/// (<see cref="LoaderInvariantException"/>): the kernel at a 2 MiB-aligned base plus text_offset,
/// the device tree 8-byte aligned inside one 2 MiB block, the initrd in the kernel's 1 GiB-aligned
/// 32 GiB window, all three pieces inside RAM and apart.
/// </summary>
/// <remarks>Input: bytes 0-1 (little-endian) the RAM in 1 MiB units less one; bytes 2-4 the
/// device tree size less one (up to 16 MiB, so oversized trees are tried); bytes 5-7 the initrd
/// size; the rest is the kernel file. Images inflate to at most <see cref="MaxImageSize"/>.</remarks>
public static class Arm64ImageTarget
{
    /// <summary>Bytes before the kernel file.</summary>
    public const int ChoiceBytes = 8;

    /// <summary>Where the arm64 machine's RAM starts.</summary>
    public const ulong RamBase = 0x4000_0000;

    /// <summary>The inflation bound the target passes, small enough for a fuzzer's pace.</summary>
    public const long MaxImageSize = 16 << 20;

    /// <summary>Reads, places and writes the input's kernel; returns whether it loaded or was refused.</summary>
    public static Arm64ImageOutcome Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < ChoiceBytes)
        {
            return Arm64ImageOutcome.TooShort;
        }
        ulong ramSize = (BinaryPrimitives.ReadUInt16LittleEndian(input) + 1UL) << 20;
        ulong treeSize = (input[2] | ((ulong)input[3] << 8) | ((ulong)input[4] << 16)) + 1;
        ulong initrdSize = input[5] | ((ulong)input[6] << 8) | ((ulong)input[7] << 16);
        byte[] file = input[ChoiceBytes..].ToArray();

        Arm64Image image;
        Arm64BootLayout layout;
        try
        {
            image = Arm64Image.Parse(file, MaxImageSize);
            layout = image.Place(new GuestAddress(RamBase), ramSize, treeSize, initrdSize);
        }
        catch (KernelImageException)
        {
            return Arm64ImageOutcome.Refused;
        }

        Expect(image.Image.Length >= Arm64Image.HeaderSize && image.Image.Length <= MaxImageSize, $"an Image of {image.Image.Length} bytes was accepted");
        Expect(image.EffectiveSize >= (ulong)image.Image.Length, "the kernel occupies less than its Image");
        Expect(treeSize <= Arm64Image.MaxDeviceTreeSize, $"a device tree of {treeSize} bytes was placed");
        ulong ramEnd = RamBase + ramSize;
        ulong load = layout.KernelAddress.Value;
        Expect(layout.Entry == layout.KernelAddress, "the entry is not the kernel's first byte");
        Expect(load >= RamBase && (load - image.TextOffset) % Arm64Image.KernelAlignment == 0, $"the kernel at {layout.KernelAddress} is not a 2 MiB-aligned base plus text_offset 0x{image.TextOffset:x}");
        Expect(layout.KernelEnd.Value == load + image.EffectiveSize, "the kernel's end is not its load address plus its size");
        ulong tree = layout.DeviceTreeAddress.Value;
        Expect(tree % 8 == 0, $"the device tree at {layout.DeviceTreeAddress} is not 8-byte aligned");
        Expect(tree / Arm64Image.KernelAlignment == (tree + treeSize - 1) / Arm64Image.KernelAlignment, "the device tree straddles a 2 MiB block");
        var pieces = new List<(string Name, ulong Start, ulong Length)> { ("kernel", load, image.EffectiveSize), ("device tree", tree, treeSize) };
        if (initrdSize == 0)
        {
            Expect(layout.InitrdAddress is null, "no initrd, yet one was placed");
        }
        else
        {
            Expect(layout.InitrdAddress is not null, "the initrd was not placed");
            ulong initrd = layout.InitrdAddress!.Value.Value;
            Expect(initrd + initrdSize <= (load & ~((1UL << 30) - 1)) + (32UL << 30), "the initrd is not within the kernel's 32 GiB window");
            pieces.Add(("initrd", initrd, initrdSize));
        }
        for (int i = 0; i < pieces.Count; i++)
        {
            (string name, ulong start, ulong length) = pieces[i];
            Expect(start >= RamBase && start + length <= ramEnd, $"the {name} (0x{start:x}+0x{length:x}) is not inside RAM");
            for (int j = i + 1; j < pieces.Count; j++)
            {
                (string other, ulong otherStart, ulong otherLength) = pieces[j];
                Expect(start + length <= otherStart || otherStart + otherLength <= start,
                    $"the {name} (0x{start:x}+0x{length:x}) overlaps the {other} (0x{otherStart:x}+0x{otherLength:x})");
            }
        }

        using GuestMemory memory = GuestMemory.Create((new GuestAddress(RamBase), ramSize));
        image.WriteTo(memory, layout);
        byte[] back = new byte[image.Image.Length];
        memory.Read(layout.KernelAddress, back);
        Expect(image.Image.Span.SequenceEqual(back), "guest RAM does not hold the Image where it was written");
        return Arm64ImageOutcome.Loaded;
    }

    private static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new LoaderInvariantException(message);
        }
    }
}
