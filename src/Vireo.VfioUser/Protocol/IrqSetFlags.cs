namespace Vireo.VfioUser;

/// <summary>linux/vfio.h VFIO_IRQ_SET_DATA_* (bits 0-2) and VFIO_IRQ_SET_ACTION_* (bits 3-5).</summary>
[Flags]
public enum IrqSetFlags : uint
{
    DataNone = 1,
    DataBool = 2,
    DataEventFd = 4,
    ActionMask = 8,
    ActionUnmask = 16,
    ActionTrigger = 32,
    DataTypeMask = DataNone | DataBool | DataEventFd,
    ActionTypeMask = ActionMask | ActionUnmask | ActionTrigger,
}
