using Vireo.Kvm;
using Vireo.Sys;

namespace Vireo.Cli;

/// <summary>Opens /dev/kvm, turning the usual failures into messages that name the fix.</summary>
internal static class HostKvm
{
    public const string DevicePath = "/dev/kvm";

    public static KvmSystem Open()
    {
        try
        {
            return KvmSystem.Open(DevicePath);
        }
        catch (ErrnoException e) when (e.Errno == Errno.ENOENT)
        {
            throw new KvmUnavailableException(
                $"{DevicePath} does not exist: load KVM (`modprobe kvm_intel` or `modprobe kvm_amd`) or run on a host with virtualization enabled");
        }
        catch (ErrnoException e) when (e.Errno is Errno.EACCES or Errno.EPERM)
        {
            throw new KvmUnavailableException(
                $"{DevicePath} is not accessible to this user: add it to the 'kvm' group (`sudo usermod -aG kvm $USER`, then log in again) or run as root");
        }
    }
}
