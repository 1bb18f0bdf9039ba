using System.Runtime.InteropServices;
using Vireo.Vfio;

namespace Vireo.Vmm;

/// <summary>
/// Makes the PCI functions the command line asks for (`vireo run --vfio-user SOCKET,id=NAME`,
/// `vireo run --vfio DEVICE,id=NAME`). The one place a backend's constructor is named, so the CLI
/// and the builder know only <see cref="IMachineBoundPciFunction"/>.
/// </summary>
public static class PciDeviceFactory
{
    /// <summary>Connects to the vfio-user device server on <paramref name="socket"/> and returns
    /// the function that stands for it in the guest, called <paramref name="id"/>. The caller
    /// owns it and disposes it (if it is <see cref="IDisposable"/>) after the last machine. What
    /// the VMM adds to the device or cannot do for it is said on <paramref name="log"/>.</summary>
    /// <exception cref="Sys.VireoException">The server cannot be reached or refused.</exception>
    public static IMachineBoundPciFunction ConnectVfioUser(string socket, string id, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socket);
        ArgumentException.ThrowIfNullOrEmpty(id);
        return Announce(VfioPciFunction.ConnectVfioUser(socket, id), log);
    }

    /// <summary>Assigns the host's PCI device <paramref name="device"/> (an address or sysfs path)
    /// through the kernel's VFIO: checks its IOMMU group is viable, chooses the backend
    /// (<paramref name="backend"/>; iommufd where the kernel has it), says which on
    /// <paramref name="log"/>, opens and attaches it.</summary>
    /// <exception cref="Sys.VireoException">The device cannot be assigned; the message names it and the fix.</exception>
    public static IMachineBoundPciFunction OpenVfio(string device, string id, VfioBackendKind backend, Action<string> log)
    {
        ArgumentException.ThrowIfNullOrEmpty(device);
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(log);
        VfioHostDevice host = VfioSysfs.Resolve(device);
        VfioSysfs.EnsureViable(host);
        VfioBackendChoice choice = VfioBackendChoice.Choose(host, backend);
        log($"device '{id}': {choice.Description}");
        return Announce(VfioPciFunction.Open(Attach(VfioDeviceFds.Open(choice), id), id), log);
    }

    /// <summary>Assigns a device whose descriptors someone else opened (the device agent) and
    /// takes ownership of <paramref name="fds"/>, also when it fails; says on <paramref name="log"/>
    /// what the VMM adds to the device or cannot do for it.</summary>
    /// <exception cref="Sys.VireoException">The device cannot be attached; the message names it.</exception>
    public static IMachineBoundPciFunction AttachVfio(VfioDeviceFds fds, string id, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(fds);
        ArgumentException.ThrowIfNullOrEmpty(id);
        return Announce(VfioPciFunction.Open(Attach(fds, id), id), log);
    }

    /// <summary>A virtio entropy device (virtio-rng) called <paramref name="id"/>, fed from the
    /// host's cryptographic generator; what the guest gets wrong with it is said on <paramref name="log"/>.</summary>
    public static IMachineBoundPciFunction CreateRng(string id, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return new VirtioMachineFunction(id, new Virtio.VirtioRng(), log);
    }

    /// <summary>A virtio console called <paramref name="id"/> (Linux's hvc0), <paramref name="columns"/>
    /// by <paramref name="rows"/> characters (0: unknown). The machine it joins connects its output
    /// and input to the host console (<see cref="MachineBuilder.BuildLinux"/>); what the guest gets
    /// wrong with it is said on <paramref name="log"/>.</summary>
    public static VirtioMachineFunction CreateConsole(string id, ushort columns = 80, ushort rows = 25, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return new VirtioMachineFunction(id, new Virtio.VirtioConsole(null, columns, rows), log);
    }

    /// <summary>A virtio network device called <paramref name="id"/> whose other end is the host
    /// tap <paramref name="tap"/> (null: a new one the kernel names), which gets
    /// <paramref name="hostAddress"/> and is brought up; the guest's MAC is <paramref name="mac"/>.
    /// The tap lives as long as the device (a tap Vireo created goes away with it).</summary>
    /// <exception cref="MachineBuildException">The tap cannot be made or set up (no
    /// CAP_NET_ADMIN, no /dev/net/tun, a tap another process holds); the message names the fix.</exception>
    public static IMachineBoundPciFunction CreateNet(string? tap, (System.Net.IPAddress Address, int Prefix)? hostAddress, Virtio.MacAddress mac, string id, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        Sys.TapDevice device;
        try
        {
            device = Sys.TapDevice.Create(tap);
        }
        catch (Sys.ErrnoException e)
        {
            string what = tap is null ? "a tap" : $"tap {tap}";
            throw new MachineBuildException(e.Errno switch
            {
                Sys.Errno.EPERM or Sys.Errno.EACCES => $"net '{id}': creating {what} needs CAP_NET_ADMIN: run vireo as root, or have root create it for you " +
                    $"(`ip tuntap add {tap ?? "vireo0"} mode tap user $USER`) and give --net tap={tap ?? "vireo0"}",
                Sys.Errno.ENOENT or Sys.Errno.ENODEV => $"net '{id}': {Sys.TapDevice.ClonePath} is missing: load the tun module (`modprobe tun`)",
                Sys.Errno.EBUSY => $"net '{id}': {what} is in use by another process; give another name, or leave the name out and the kernel picks one",
                Sys.Errno.EINVAL => $"net '{id}': {what} exists and is not a tap with this VMM's settings; give another name",
                _ => $"net '{id}': cannot open {what}: {e.Message}",
            }, e);
        }
        try
        {
            if (hostAddress is { } address)
            {
                Sys.NetInterface.SetIPv4Address(device.Name, address.Address, address.Prefix);
            }
            Sys.NetInterface.SetUp(device.Name);
        }
        catch (Sys.ErrnoException e)
        {
            device.Dispose();
            throw new MachineBuildException($"net '{id}': cannot set up tap {device.Name}: {e.Message} (it needs CAP_NET_ADMIN; a tap root made for you must be set up by root too, and given without ip=)", e);
        }
        var backend = new Virtio.TapBackend(device);
        try
        {
            log?.Invoke($"net '{id}': tap {device.Name}{(hostAddress is { } a ? $" ({a.Address}/{a.Prefix} on the host)" : "")}, guest MAC {mac}");
            return new VirtioMachineFunction(id, new Virtio.VirtioNet(backend, mac), log, backend);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>A virtio socket device called <paramref name="id"/> for the guest
    /// <paramref name="cid"/>, bridged to host UNIX sockets: host programs connect to
    /// <paramref name="socketPath"/>, and the guest's connections to the host's port P go to
    /// <c>socketPath_P</c>. The socket is removed when the device is disposed.</summary>
    /// <exception cref="MachineBuildException">The socket cannot be made (the path exists, its
    /// directory is missing or not writable); the message names the fix.</exception>
    public static IMachineBoundPciFunction CreateVsock(uint cid, string socketPath, string id, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentException.ThrowIfNullOrEmpty(id);
        Virtio.VirtioVsock device;
        try
        {
            device = new Virtio.VirtioVsock(cid, socketPath);
        }
        catch (Sys.ErrnoException e) when (e.Errno == Sys.Errno.EADDRINUSE)
        {
            throw new MachineBuildException($"vsock '{id}': {socketPath} exists: remove it if no VMM uses it (a VMM that was killed leaves it), or pick another path", e);
        }
        catch (Sys.ErrnoException e)
        {
            throw new MachineBuildException($"vsock '{id}': cannot listen on {socketPath}: {e.Message}", e);
        }
        log?.Invoke($"vsock '{id}': guest CID {cid}; host programs connect to {socketPath} (CONNECT PORT), the guest's connections to port P go to {socketPath}_P");
        return new VirtioMachineFunction(id, device, log);
    }

    /// <summary>A virtio block device called <paramref name="id"/> (also its serial) over the raw
    /// image <paramref name="path"/>, read-only to the guest when <paramref name="readOnly"/>,
    /// bypassing the host's page cache when <paramref name="direct"/>, its reads and writes run
    /// as <paramref name="io"/> says (<see cref="DiskIo"/>);
    /// what the guest gets wrong with it is said on <paramref name="log"/>.</summary>
    /// <exception cref="MachineBuildException">The image cannot be opened (missing, locked by
    /// another VMM, not allowed, or <paramref name="direct"/> on a file system without O_DIRECT);
    /// the message names it and the fix; or <paramref name="io"/> asked for io_uring where the
    /// kernel refuses it.</exception>
    public static IMachineBoundPciFunction CreateDisk(string path, string id, bool readOnly, bool direct, Action<string>? log = null, DiskIo io = DiskIo.Auto)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(id);
        Virtio.RawFileBackend backend;
        try
        {
            backend = new Virtio.RawFileBackend(path, readOnly, direct);
        }
        catch (Virtio.DirectIoUnsupportedException e)
        {
            throw new MachineBuildException($"disk '{id}': {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MachineBuildException(
                $"disk '{id}': {path} cannot be opened {(readOnly ? "for reading" : "for reading and writing (add ,readonly if the guest need not write, or stop the VMM that holds it)")}: {e.Message}", e);
        }
        try
        {
            if (backend.Size % Virtio.VirtioBlock.SectorSize != 0)
            {
                log?.Invoke($"disk '{id}': {path} is {backend.Size} bytes, not whole 512-byte sectors; the guest sees the last {backend.Size % Virtio.VirtioBlock.SectorSize} bytes as missing");
            }
            return new VirtioMachineFunction(id, new Virtio.VirtioBlock(backend, id, CreateDiskEngine(backend, id, io, log)), log, backend);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    // io_uring where the kernel allows it (what `vireo bench disk` measures fastest at depth, on
    // cached and direct images alike: 2.1 and 7.7 times sync at depth 32), else sync (the thread
    // pool measured from 0.4 to 2 times sync, slower than it on a cached image).
    private static Virtio.IBlockIoEngine? CreateDiskEngine(Virtio.RawFileBackend backend, string id, DiskIo io, Action<string>? log)
    {
        if (io is DiskIo.Sync)
        {
            return null;
        }
        if (io is DiskIo.Threads)
        {
            return new Virtio.ThreadPoolBlockIo(backend);
        }
        try
        {
            return new Virtio.UringBlockIo(backend);
        }
        catch (Exception e) when (e is Sys.ErrnoException or NotSupportedException)
        {
            if (io is DiskIo.Uring)
            {
                throw new MachineBuildException($"disk '{id}': io=uring, but this kernel refuses io_uring ({e.Message}); use io=threads or io=sync, or allow io_uring (sysctl kernel.io_uring_disabled=0)", e);
            }
            log?.Invoke($"disk '{id}': this kernel refuses io_uring ({e.Message}); its I/O runs on the queue's thread instead (io=sync; io=threads for a thread pool)");
            return null;
        }
    }

    /// <summary>Says what the user should know of a freshly opened function: the PM capability
    /// the VMM gave it, and its <see cref="VfioPciFunction.Warnings"/>. <paramref name="acpiSlots"/>:
    /// the machine describes its slots in ACPI (the PC; by default, this host's machine), with a
    /// power resource and a wake GPE per slot; an arm64 guest's device tree has neither.</summary>
    internal static VfioPciFunction Announce(VfioPciFunction function, Action<string>? log, bool? acpiSlots = null)
    {
        if (function.VirtualPowerManagementOffset != 0)
        {
            string where = $"device '{function.Id}': no PCI power management capability; the guest sees Vireo's at 0x{function.VirtualPowerManagementOffset:x2}";
            log?.Invoke(acpiSlots ?? RuntimeInformation.ProcessArchitecture != Architecture.Arm64
                ? $"{where} (D0 and D3hot, {(function.VirtualPowerManagementWakes ? "wake from D3 through the slot's wake GPE" : "no wake")}), so it can power the device off through its slot"
                : $"{where} (D0 and D3hot); a device-tree guest has no ACPI slot to power it off or wake it through");
        }
        foreach (string warning in function.Warnings)
        {
            log?.Invoke($"warning: {warning}");
        }
        return function;
    }

    private static KernelVfioDevice Attach(VfioDeviceFds fds, string id)
    {
        string address = fds.DeviceAddress;
        try
        {
            return KernelVfioDevice.Attach(fds);
        }
        catch (Sys.ErrnoException e)
        {
            throw new MachineBuildException($"vfio device '{id}' ({address}) cannot be attached: {e.Message}", e);
        }
    }
}
