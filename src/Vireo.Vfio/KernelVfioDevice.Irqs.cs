using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.Vfio;

/// <summary>VFIO_DEVICE_SET_IRQS: struct vfio_irq_set with, for DATA_EVENTFD, an __s32 fd per vector.</summary>
public sealed partial class KernelVfioDevice
{
    /// <inheritdoc/>
    public void SetIrqEventFds(VfioIrqIndex index, uint start, IReadOnlyList<EventFd> eventFds)
    {
        ArgumentNullException.ThrowIfNull(eventFds);
        SetIrqsWithFds(IrqSetFlags.DataEventFd | IrqSetFlags.ActionTrigger, index, start, eventFds.Select(e => (SafeFd?)e.Handle).ToArray());
    }

    /// <inheritdoc/>
    public void DisableIrqs(VfioIrqIndex index)
        => SetIrqs(new IrqSet(IrqSetFlags.DataNone | IrqSetFlags.ActionTrigger, (uint)index, 0, 0, ReadOnlyMemory<byte>.Empty));

    /// <inheritdoc/>
    /// <remarks>The kernel takes fd -1 as "remove the unmask eventfd".</remarks>
    public void SetIrqUnmaskEventFd(VfioIrqIndex index, EventFd? unmask)
        => SetIrqsWithFds(IrqSetFlags.DataEventFd | IrqSetFlags.ActionUnmask, index, 0, [unmask?.Handle]);

    /// <inheritdoc/>
    public void MaskIrq(VfioIrqIndex index, uint start = 0, uint count = 1)
        => SetIrqs(new IrqSet(IrqSetFlags.DataNone | IrqSetFlags.ActionMask, (uint)index, start, count, ReadOnlyMemory<byte>.Empty));

    /// <inheritdoc/>
    public void UnmaskIrq(VfioIrqIndex index, uint start = 0, uint count = 1)
        => SetIrqs(new IrqSet(IrqSetFlags.DataNone | IrqSetFlags.ActionUnmask, (uint)index, start, count, ReadOnlyMemory<byte>.Empty));

    /// <summary>The bytes of a SET_IRQS with eventfds: the header, then each fd number (-1 for none).</summary>
    internal static byte[] EncodeIrqSet(IrqSetFlags flags, VfioIrqIndex index, uint start, ReadOnlySpan<int> fds)
    {
        byte[] data = new byte[fds.Length * sizeof(int)];
        for (int i = 0; i < fds.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(i * sizeof(int)), fds[i]);
        }
        var set = new IrqSet(flags, (uint)index, start, (uint)fds.Length, data);
        byte[] bytes = new byte[set.EncodedLength];
        set.Encode(bytes);
        return bytes;
    }

    private void SetIrqs(IrqSet set)
    {
        byte[] bytes = new byte[set.EncodedLength];
        set.Encode(bytes);
        _sys.Ioctl(_device, VfioIoctls.DeviceSetIrqs, bytes, $"VFIO_DEVICE_SET_IRQS({(VfioIrqIndex)set.Index})");
    }

    private void SetIrqsWithFds(IrqSetFlags flags, VfioIrqIndex index, uint start, SafeFd?[] handles)
    {
        // The fd numbers must stay valid until the kernel has taken its own references.
        int[] fds = new int[handles.Length];
        var added = new List<SafeHandle>(handles.Length);
        try
        {
            for (int i = 0; i < handles.Length; i++)
            {
                SafeFd? handle = handles[i];
                if (handle is null)
                {
                    fds[i] = -1;
                    continue;
                }
                bool ok = false;
                handle.DangerousAddRef(ref ok);
                added.Add(handle);
                fds[i] = handle.DangerousGetFd();
            }
            byte[] bytes = EncodeIrqSet(flags, index, start, fds);
            _sys.Ioctl(_device, VfioIoctls.DeviceSetIrqs, bytes, $"VFIO_DEVICE_SET_IRQS({index})");
        }
        finally
        {
            foreach (SafeHandle handle in added)
            {
                handle.DangerousRelease();
            }
        }
    }
}
