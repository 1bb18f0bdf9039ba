using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Vireo.Sys;

namespace Vireo.Kvm;

/// <summary>Buffers for the kernel structs that are a header followed by a flexible array
/// (kvm_msrs, kvm_cpuid2, kvm_msr_list, kvm_irq_routing).</summary>
internal static class KvmBuffers
{
    /// <summary>The largest entry count Vireo asks for when the kernel keeps answering E2BIG.</summary>
    private const int MaxEntries = 1 << 16;

    internal static byte[] Build<THeader, TEntry>(THeader header, ReadOnlySpan<TEntry> entries)
        where THeader : unmanaged
        where TEntry : unmanaged
    {
        int headerSize = Unsafe.SizeOf<THeader>();
        byte[] buffer = new byte[checked(headerSize + (entries.Length * Unsafe.SizeOf<TEntry>()))];
        MemoryMarshal.Write(buffer, in header);
        MemoryMarshal.AsBytes(entries).CopyTo(buffer.AsSpan(headerSize));
        return buffer;
    }

    internal static THeader Header<THeader>(byte[] buffer)
        where THeader : unmanaged
        => MemoryMarshal.Read<THeader>(buffer);

    internal static Span<TEntry> Entries<THeader, TEntry>(byte[] buffer, int count)
        where THeader : unmanaged
        where TEntry : unmanaged
        => MemoryMarshal.Cast<byte, TEntry>(buffer.AsSpan(Unsafe.SizeOf<THeader>()))[..count];

    /// <summary>Calls a "fill this array" ioctl with a growing capacity until it stops failing with
    /// E2BIG, then returns the entries the kernel reported. With <paramref name="trimUnwritten"/>
    /// the array starts filled with all-ones bytes and the result ends before the first entry the
    /// kernel left so, for an ioctl that may not report its count.</summary>
    internal static TEntry[] GrowUntilFits<THeader, TEntry>(
        SafeFd fd, nuint request, string name, Func<int, THeader> header, Func<THeader, int> count, bool trimUnwritten = false)
        where THeader : unmanaged
        where TEntry : unmanaged
    {
        for (int capacity = 256; ; capacity *= 2)
        {
            byte[] buffer = Build<THeader, TEntry>(header(capacity), new TEntry[capacity]);
            if (trimUnwritten)
            {
                buffer.AsSpan(Unsafe.SizeOf<THeader>()).Fill(0xFF);
            }
            int result = Invoke(fd, request, buffer);
            if (result >= 0)
            {
                int n = Math.Min(count(Header<THeader>(buffer)), capacity);
                Span<TEntry> entries = Entries<THeader, TEntry>(buffer, n);
                if (trimUnwritten)
                {
                    int written = 0;
                    while (written < n && MemoryMarshal.AsBytes(entries.Slice(written, 1)).ContainsAnyExcept((byte)0xFF))
                    {
                        written++;
                    }
                    entries = entries[..written];
                }
                return entries.ToArray();
            }
            if (-result != Errno.E2BIG || capacity >= MaxEntries)
            {
                throw new ErrnoException(-result, name);
            }
        }
    }

    internal static unsafe int Invoke(SafeFd fd, nuint request, byte[] buffer)
    {
        // Safe: the array is pinned for the call and sized for the header plus the entry count
        // written in that header, which is all the kernel touches.
        fixed (byte* p = buffer)
        {
            return Ioctl.TryInvoke(fd, request, (nint)p);
        }
    }
}
