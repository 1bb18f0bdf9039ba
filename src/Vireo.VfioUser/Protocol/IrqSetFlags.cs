namespace Vireo.VfioUser;

/// <summary>linux/vfio.h VFIO_IRQ_SET_DATA_* (bits 0-2) and VFIO_IRQ_SET_ACTION_* (bits 3-5).</summary>
[Flags]
public enum IrqSetFlags : uint
{
    /// <summary>VFIO_IRQ_SET_DATA_NONE: no data; the action applies to every vector in the range.</summary>
    DataNone = 1,
    /// <summary>VFIO_IRQ_SET_DATA_BOOL: one byte per vector says whether the action applies.</summary>
    DataBool = 2,
    /// <summary>VFIO_IRQ_SET_DATA_EVENTFD: eventfds for the vectors, passed with the message.</summary>
    DataEventFd = 4,
    /// <summary>VFIO_IRQ_SET_ACTION_MASK: mask the vectors.</summary>
    ActionMask = 8,
    /// <summary>VFIO_IRQ_SET_ACTION_UNMASK: unmask the vectors.</summary>
    ActionUnmask = 16,
    /// <summary>VFIO_IRQ_SET_ACTION_TRIGGER: set the vectors' eventfds, or fire them.</summary>
    ActionTrigger = 32,
    /// <summary>VFIO_IRQ_SET_DATA_TYPE_MASK: exactly one data type must be set.</summary>
    DataTypeMask = DataNone | DataBool | DataEventFd,
    /// <summary>VFIO_IRQ_SET_ACTION_TYPE_MASK: exactly one action must be set.</summary>
    ActionTypeMask = ActionMask | ActionUnmask | ActionTrigger,
}
