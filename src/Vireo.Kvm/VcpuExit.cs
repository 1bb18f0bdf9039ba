using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Vireo.Memory;

namespace Vireo.Kvm;

/// <summary>
/// One return of KVM_RUN, read in place from the vCPU's kvm_run page. A ref struct so the exit
/// data (and <see cref="Data"/>, which points into the page) cannot outlive the mapping or the
/// next <see cref="KvmVcpu.Run"/>. Reading it allocates nothing; members that do not belong to
/// <see cref="Kind"/> throw <see cref="InvalidOperationException"/> (a caller bug).
/// </summary>
public readonly ref struct VcpuExit
{
    private readonly Span<byte> _run;

    internal VcpuExit(Span<byte> run, bool interrupted)
    {
        _run = run;
        Kind = interrupted ? VcpuExitKind.Interrupted : Classify(Run.ExitReason);
    }

    /// <summary>Which kind of exit this is; decides which other members may be read.</summary>
    public VcpuExitKind Kind { get; }

    /// <summary>kvm_run.exit_reason as the kernel wrote it.</summary>
    public uint RawReason => (uint)Run.ExitReason;

    internal KvmExitReason Reason => Run.ExitReason;

    /// <summary>kvm_run.ready_for_interrupt_injection.</summary>
    public bool ReadyForInterruptInjection => Run.ReadyForInterruptInjection != 0;

    /// <summary>kvm_run.if_flag: the guest's RFLAGS.IF at exit.</summary>
    public bool IfFlag => Run.IfFlag != 0;

    /// <summary>Io: direction is out (the guest wrote); Mmio: the guest stored.</summary>
    public bool IsWrite => Kind switch
    {
        VcpuExitKind.Io => Run.Io.Direction == KvmConstants.ExitIoOut,
        VcpuExitKind.Mmio => Run.Mmio.IsWrite != 0,
        _ => ThrowWrongKind<bool>(),
    };

    /// <summary>Io: the port accessed.</summary>
    public PioAddress Port => Kind == VcpuExitKind.Io ? new PioAddress(Run.Io.Port) : ThrowWrongKind<PioAddress>();

    /// <summary>Io: bytes per access (1, 2 or 4).</summary>
    public int Size => Kind == VcpuExitKind.Io ? Run.Io.Size : ThrowWrongKind<int>();

    /// <summary>Io: number of accesses (more than 1 for string I/O such as rep outsb).</summary>
    public int Count => Kind == VcpuExitKind.Io ? (int)Run.Io.Count : ThrowWrongKind<int>();

    /// <summary>Mmio: the guest-physical address accessed.</summary>
    public MmioAddress Address => Kind == VcpuExitKind.Mmio ? new MmioAddress(Run.Mmio.PhysAddr) : ThrowWrongKind<MmioAddress>();

    /// <summary>Io: Size*Count bytes at io.data_offset; Mmio: len bytes of mmio.data. For reads the
    /// VMM fills it before the next Run. Both are checked to lie inside the kvm_run mapping.</summary>
    public Span<byte> Data => Kind switch
    {
        VcpuExitKind.Io => IoData(),
        VcpuExitKind.Mmio => MmioData(),
        _ => ThrowWrongKind<Span<byte>>(),
    };

    /// <summary>FailEntry: the hardware's VM-entry failure reason.</summary>
    public ulong HardwareEntryFailureReason =>
        Kind == VcpuExitKind.FailEntry ? Run.FailEntry.HardwareEntryFailureReason : ThrowWrongKind<ulong>();

    /// <summary>InternalError: KVM_INTERNAL_ERROR_* suberror.</summary>
    public uint Suberror => Kind == VcpuExitKind.InternalError ? Run.Internal.Suberror : ThrowWrongKind<uint>();

    /// <summary>SystemEvent: KVM_SYSTEM_EVENT_* type.</summary>
    public uint SystemEventType => Kind == VcpuExitKind.SystemEvent ? Run.SystemEvent.Type : ThrowWrongKind<uint>();

    /// <summary>SystemEvent: kvm_run.system_event.flags (the union's first word; on arm64
    /// <see cref="KvmSystemEventFlags.ArmPsciReset2"/>).</summary>
    public ulong SystemEventFlags => Kind == VcpuExitKind.SystemEvent ? Run.SystemEvent.Data[0] : ThrowWrongKind<ulong>();

    /// <summary>SystemEvent: the ndata words of kvm_run.system_event.data (ndata capped at the
    /// array's 16, so a bad count cannot reach past it).</summary>
    public ReadOnlySpan<ulong> SystemEventData => Kind == VcpuExitKind.SystemEvent ? SystemEventWords() : ThrowWrongKind<ReadOnlySpan<ulong>>();

    /// <summary>Hypercall: kvm_run.hypercall.nr, which on arm64 is the SMCCC function ID the guest
    /// passed in w0.</summary>
    public uint FunctionId => Kind == VcpuExitKind.Hypercall ? (uint)Run.Hypercall.Nr : ThrowWrongKind<uint>();

    /// <summary>Hypercall: kvm_run.hypercall.flags as the kernel wrote them.</summary>
    public ulong HypercallFlags => Kind == VcpuExitKind.Hypercall ? Run.Hypercall.Flags : ThrowWrongKind<ulong>();

    /// <summary>Hypercall (arm64): the guest used the SMC conduit; false for HVC
    /// (KVM_HYPERCALL_EXIT_SMC). KVM forwards only calls with immediate 0, and the exit carries no
    /// immediate.</summary>
    public bool IsSmc => Kind == VcpuExitKind.Hypercall ? (Run.Hypercall.Flags & KvmArm64Constants.HypercallExitSmc) != 0 : ThrowWrongKind<bool>();

    /// <summary>Hypercall (arm64): a 16-bit (T32) instruction made the call
    /// (KVM_HYPERCALL_EXIT_16BIT); always false for an AArch64 guest.</summary>
    public bool Is16BitInstruction =>
        Kind == VcpuExitKind.Hypercall ? (Run.Hypercall.Flags & KvmArm64Constants.HypercallExit16Bit) != 0 : ThrowWrongKind<bool>();

    /// <summary>Debug: the architecture's debug exit record.</summary>
    internal KvmDebugExitArch DebugInfo => Kind == VcpuExitKind.Debug ? Run.Debug : ThrowWrongKind<KvmDebugExitArch>();

    // The vCPU checked at creation that the mapping holds a whole kvm_run, so AsRef cannot throw.
    private ref KvmRun Run => ref MemoryMarshal.AsRef<KvmRun>(_run);

    private static VcpuExitKind Classify(KvmExitReason reason) => reason switch
    {
        KvmExitReason.Io => VcpuExitKind.Io,
        KvmExitReason.Mmio => VcpuExitKind.Mmio,
        KvmExitReason.Hlt => VcpuExitKind.Hlt,
        KvmExitReason.Shutdown => VcpuExitKind.Shutdown,
        KvmExitReason.FailEntry => VcpuExitKind.FailEntry,
        KvmExitReason.InternalError => VcpuExitKind.InternalError,
        KvmExitReason.SystemEvent => VcpuExitKind.SystemEvent,
        KvmExitReason.Debug => VcpuExitKind.Debug,
        KvmExitReason.Hypercall => VcpuExitKind.Hypercall,
        KvmExitReason.Intr => VcpuExitKind.Interrupted,
        _ => VcpuExitKind.Other,
    };

    private ReadOnlySpan<ulong> SystemEventWords()
    {
        ref KvmRunSystemEvent systemEvent = ref Run.SystemEvent;
        int count = (int)Math.Min(systemEvent.Ndata, (uint)KvmRunDataWords.Length);
        return MemoryMarshal.CreateReadOnlySpan(ref systemEvent.Data[0], count);
    }

    private Span<byte> IoData()
    {
        ref KvmRunIo io = ref Run.Io;
        ulong offset = io.DataOffset;
        ulong length = (ulong)io.Size * io.Count;
        ulong page = (ulong)_run.Length;
        // The kernel places the data inside the mapping; a bad offset must not let a read escape it.
        if (offset > page || length > page - offset)
        {
            ThrowOutOfPage(offset, length);
        }
        return _run.Slice((int)offset, (int)length);
    }

    private Span<byte> MmioData()
    {
        uint length = Run.Mmio.Len;
        if (length > (uint)Unsafe.SizeOf<KvmRunMmioData>())
        {
            ThrowOutOfPage(KvmRun.MmioDataOffset, length);
        }
        return _run.Slice(KvmRun.MmioDataOffset, (int)length);
    }

    [DoesNotReturn]
    private T ThrowWrongKind<T>([CallerMemberName] string member = "")
        where T : allows ref struct
        => throw new InvalidOperationException($"VcpuExit.{member} is not defined for a {Kind} exit");

    [DoesNotReturn]
    private static void ThrowOutOfPage(ulong offset, ulong length)
        => throw new InvalidOperationException($"kvm_run exit data at offset {offset}, length {length} lies outside the kvm_run mapping");
}
