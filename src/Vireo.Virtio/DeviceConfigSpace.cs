using System.Runtime.InteropServices;

namespace Vireo.Virtio;

/// <summary>The one way a device reads its configuration space: the config struct's bytes, which
/// its layout test pins to the kernel's header, sliced at the driver's offset.</summary>
internal static class DeviceConfigSpace
{
    /// <summary>Copies <paramref name="data"/>.Length bytes of <paramref name="config"/> from <paramref name="offset"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range leaves the struct (the transport
    /// checks a driver's range against <see cref="IVirtioDevice.ConfigSize"/> first).</exception>
    public static void Read<T>(in T config, int offset, Span<byte> data)
        where T : unmanaged
    {
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in config));
        if ((uint)offset > (uint)bytes.Length || data.Length > bytes.Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"{data.Length} bytes at {offset} are outside the {bytes.Length}-byte configuration");
        }
        bytes.Slice(offset, data.Length).CopyTo(data);
    }
}
