using Vireo.Sys;

namespace Vireo.VfioUser;

public sealed partial class VfioUserServer
{
    private void AddWatchedIoEventFds(List<(EventFd, Action)> watched)
    {
    }

    private void ForgetIoEventFd(EventFd fd)
    {
    }
}
