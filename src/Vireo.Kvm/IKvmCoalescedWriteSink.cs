namespace Vireo.Kvm;

/// <summary>Where <see cref="KvmCoalescedRing.Drain"/> replays queued writes.</summary>
public interface IKvmCoalescedWriteSink
{
    /// <summary>One guest write of 1 to 8 bytes, to a port (<paramref name="pio"/>) or an MMIO address.</summary>
    void Write(bool pio, ulong address, ReadOnlySpan<byte> data);
}
