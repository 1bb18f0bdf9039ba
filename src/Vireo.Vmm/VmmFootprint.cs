using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary>
/// What the VMM itself costs at one moment: the process's CPU time and resident memory, with
/// the guest RAM the guest has touched taken out (mincore over guest RAM), so the figure is
/// Vireo's own and does not grow with the guest's working set.
/// </summary>
/// <param name="Process">The process's figures (<see cref="ProcessFootprint.Sample"/>).</param>
/// <param name="GuestResidentBytes">Guest RAM resident in host RAM at the same moment.</param>
public sealed record VmmFootprint(ProcessFootprint Process, ulong GuestResidentBytes)
{
    /// <summary>Resident memory that is not guest RAM: the VMM's code, heap, stacks and buffers.</summary>
    public ulong OwnResidentBytes => Process.ResidentBytes > GuestResidentBytes ? Process.ResidentBytes - GuestResidentBytes : 0;

    /// <summary>Samples the process and <paramref name="memory"/> now.</summary>
    public static VmmFootprint Sample(Vireo.Memory.GuestMemory memory)
    {
        // CPU first: the mincore walk below is measurement, not VMM work.
        ProcessFootprint process = ProcessFootprint.Sample();
        return new VmmFootprint(process, memory.ResidentBytes());
    }

    /// <summary>One line for people: "CPU 12.3 ms, own RSS 9.8 MiB (RSS 14.2 MiB, guest RAM 4.4 MiB)".</summary>
    public override string ToString() => FormattableString.Invariant(
        $"CPU {Process.CpuTime.TotalMilliseconds:0.0} ms, own RSS {Mib(OwnResidentBytes):0.0} MiB (RSS {Mib(Process.ResidentBytes):0.0} MiB, guest RAM {Mib(GuestResidentBytes):0.0} MiB, peak RSS {Mib(Process.PeakResidentBytes):0.0} MiB)");

    private static double Mib(ulong bytes) => bytes / 1048576.0;
}
