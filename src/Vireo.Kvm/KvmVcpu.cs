using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Vireo.Sys;

namespace Vireo.Kvm;

/// <summary>A vCPU fd from KVM_CREATE_VCPU and its mmap'd kvm_run page. Run it on one thread;
/// the state accessors are for setup and snapshot, not for use while it runs.</summary>
public sealed partial class KvmVcpu : IDisposable
{
    private readonly SafeFd _fd;
    private readonly MappedMemory _runMapping;
    private readonly nint _runAddress;
    private readonly int _runSize;

    internal KvmVcpu(SafeFd fd, uint id, int runSize)
    {
        if (runSize < Unsafe.SizeOf<KvmRun>())
        {
            fd.Dispose();
            throw new InvalidOperationException($"KVM_GET_VCPU_MMAP_SIZE {runSize} is smaller than struct kvm_run");
        }
        try
        {
            _runMapping = MappedMemory.MapShared(fd, (ulong)runSize, 0, "mmap kvm_run");
        }
        catch
        {
            fd.Dispose();
            throw;
        }
        _fd = fd;
        Id = id;
        _runSize = runSize;
        _runAddress = _runMapping.DangerousGetAddress();
    }

    /// <summary>The vCPU id given to KVM_CREATE_VCPU (the initial APIC id).</summary>
    public uint Id { get; }

    /// <summary>
    /// The vCPU descriptor, for mapping its pages (e.g. <see cref="KvmCoalescedRing.Map"/>).
    /// </summary>
    public SafeFd Handle => _fd;

    /// <summary>kvm_run.immediate_exit: when set, KVM_RUN returns EINTR at once (Interrupted)
    /// instead of entering the guest; another thread sets it before kicking this one.</summary>
    public bool ImmediateExit
    {
        get => Volatile.Read(ref RunPage.ImmediateExit) != 0;
        set => Volatile.Write(ref RunPage.ImmediateExit, value ? (byte)1 : (byte)0);
    }

    /// <summary>kvm_run.request_interrupt_window: exit as soon as the guest can take an interrupt.</summary>
    public bool RequestInterruptWindow
    {
        get => RunPage.RequestInterruptWindow != 0;
        set => RunPage.RequestInterruptWindow = value ? (byte)1 : (byte)0;
    }

    private unsafe Span<byte> RunSpan
    {
        // Safe: the mapping is _runSize bytes and lives as long as this object; VcpuExit, the only
        // holder of this span beyond a call, is a ref struct that the caller uses before the next Run.
        get => new((void*)_runAddress, _runSize);
    }

    private ref KvmRun RunPage => ref MemoryMarshal.AsRef<KvmRun>(RunSpan);

    /// <summary>Enters the guest until the next exit. EINTR and EAGAIN (a signal, a kick, or
    /// <see cref="ImmediateExit"/>) come back as <see cref="VcpuExitKind.Interrupted"/>; any other
    /// errno throws. Allocates nothing.</summary>
    public VcpuExit Run()
    {
        int result = Ioctl.TryInvoke(_fd, KvmIoctls.Run, 0);
        if (result < 0)
        {
            int errno = -result;
            if (errno != Errno.EINTR && errno != Errno.EAGAIN)
            {
                ThrowRunFailed(errno);
            }
            return new VcpuExit(RunSpan, interrupted: true);
        }
        return new VcpuExit(RunSpan, interrupted: false);
    }

    /// <summary>KVM_GET_REGS: the general-purpose registers, RIP and RFLAGS.</summary>
    public KvmRegs GetRegs() => Get<KvmRegs>(KvmIoctls.GetRegs, "KVM_GET_REGS");

    /// <summary>KVM_SET_REGS.</summary>
    public void SetRegs(in KvmRegs regs) => Set(KvmIoctls.SetRegs, in regs, "KVM_SET_REGS");

    /// <summary>
    /// KVM_GET_SREGS: segment, descriptor-table and control registers, EFER and the APIC base.
    /// </summary>
    public KvmSregs GetSregs() => Get<KvmSregs>(KvmIoctls.GetSregs, "KVM_GET_SREGS");

    /// <summary>KVM_SET_SREGS.</summary>
    public void SetSregs(in KvmSregs sregs) => Set(KvmIoctls.SetSregs, in sregs, "KVM_SET_SREGS");

    /// <summary>KVM_GET_FPU: x87 and SSE state.</summary>
    public KvmFpu GetFpu() => Get<KvmFpu>(KvmIoctls.GetFpu, "KVM_GET_FPU");

    /// <summary>KVM_SET_FPU.</summary>
    public void SetFpu(in KvmFpu fpu) => Set(KvmIoctls.SetFpu, in fpu, "KVM_SET_FPU");

    internal KvmXsave GetXsave() => Get<KvmXsave>(KvmIoctls.GetXsave, "KVM_GET_XSAVE");

    internal void SetXsave(in KvmXsave xsave) => Set(KvmIoctls.SetXsave, in xsave, "KVM_SET_XSAVE");

    /// <summary>KVM_GET_XSAVE2 into a buffer of <see cref="KvmVm.XsaveSize"/> bytes (at least 4096),
    /// for hosts whose XSAVE image outgrew struct kvm_xsave.</summary>
    public void GetXsave2(Span<byte> buffer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buffer.Length, Unsafe.SizeOf<KvmXsave>(), nameof(buffer));
        Ioctl.Invoke(_fd, KvmIoctls.GetXsave2, buffer, "KVM_GET_XSAVE2");
    }

    internal KvmXcrs GetXcrs() => Get<KvmXcrs>(KvmIoctls.GetXcrs, "KVM_GET_XCRS");

    internal void SetXcrs(in KvmXcrs xcrs) => Set(KvmIoctls.SetXcrs, in xcrs, "KVM_SET_XCRS");

    /// <summary>
    /// KVM_GET_LAPIC: the in-kernel local APIC's register page (needs <see
    /// cref="KvmVm.CreateIrqchip"/>).
    /// </summary>
    public KvmLapicState GetLapic() => Get<KvmLapicState>(KvmIoctls.GetLapic, "KVM_GET_LAPIC");

    /// <summary>KVM_SET_LAPIC.</summary>
    public void SetLapic(in KvmLapicState lapic) => Set(KvmIoctls.SetLapic, in lapic, "KVM_SET_LAPIC");

    internal KvmMpState GetMpState() => Get<KvmMpState>(KvmIoctls.GetMpState, "KVM_GET_MP_STATE");

    internal void SetMpState(in KvmMpState state) => Set(KvmIoctls.SetMpState, in state, "KVM_SET_MP_STATE");

    internal KvmVcpuEvents GetVcpuEvents() => Get<KvmVcpuEvents>(KvmIoctls.GetVcpuEvents, "KVM_GET_VCPU_EVENTS");

    internal void SetVcpuEvents(in KvmVcpuEvents events) => Set(KvmIoctls.SetVcpuEvents, in events, "KVM_SET_VCPU_EVENTS");

    internal KvmDebugregs GetDebugregs() => Get<KvmDebugregs>(KvmIoctls.GetDebugregs, "KVM_GET_DEBUGREGS");

    internal void SetDebugregs(in KvmDebugregs debugregs) => Set(KvmIoctls.SetDebugregs, in debugregs, "KVM_SET_DEBUGREGS");

    /// <summary>Reads the MSRs whose indices are in <paramref name="entries"/> into their Data;
    /// returns how many the kernel read (it stops at the first it cannot).</summary>
    public int GetMsrs(Span<KvmMsrEntry> entries)
    {
        byte[] buffer = KvmBuffers.Build<KvmMsrsHeader, KvmMsrEntry>(new KvmMsrsHeader { Nmsrs = (uint)entries.Length }, entries);
        int read = Ioctl.Invoke(_fd, KvmIoctls.GetMsrs, buffer, "KVM_GET_MSRS");
        KvmBuffers.Entries<KvmMsrsHeader, KvmMsrEntry>(buffer, entries.Length).CopyTo(entries);
        return read;
    }

    /// <summary>Reads the MSRs in <paramref name="indices"/>; throws if the kernel could not read
    /// them all, naming the first it refused.</summary>
    public KvmMsrEntry[] GetMsrs(ReadOnlySpan<uint> indices)
    {
        var entries = new KvmMsrEntry[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            entries[i].Index = indices[i];
        }
        int read = GetMsrs(entries);
        return read == entries.Length
            ? entries
            : throw new InvalidOperationException($"KVM_GET_MSRS read {read} of {entries.Length} MSRs; MSR 0x{entries[read].Index:x} was refused");
    }

    /// <summary>Writes the MSRs; returns how many the kernel wrote (it stops at the first it refuses).</summary>
    public int SetMsrs(ReadOnlySpan<KvmMsrEntry> entries)
    {
        byte[] buffer = KvmBuffers.Build<KvmMsrsHeader, KvmMsrEntry>(new KvmMsrsHeader { Nmsrs = (uint)entries.Length }, entries);
        return Ioctl.Invoke(_fd, KvmIoctls.SetMsrs, buffer, "KVM_SET_MSRS");
    }

    /// <summary>
    /// KVM_SET_CPUID2: the CPUID the guest sees; call before the first <see cref="Run"/>.
    /// </summary>
    public void SetCpuid2(ReadOnlySpan<KvmCpuidEntry2> entries)
    {
        byte[] buffer = KvmBuffers.Build<KvmCpuid2Header, KvmCpuidEntry2>(new KvmCpuid2Header { Nent = (uint)entries.Length }, entries);
        Ioctl.Invoke(_fd, KvmIoctls.SetCpuid2, buffer, "KVM_SET_CPUID2");
    }

    /// <summary>The CPUID the vCPU was given with <see cref="SetCpuid2"/>.</summary>
    /// <remarks>Before Linux 6.4 (kvm_vcpu_ioctl_get_cpuid2 in arch/x86/kvm/cpuid.c, changed by
    /// "KVM: x86: Update KVM_GET_CPUID2 to return valid entry count") a successful
    /// KVM_GET_CPUID2 leaves nent as the caller's capacity, so the count comes from the entries
    /// the kernel wrote (on Debian 12's 6.1 the entries ended in zeroed ones before this).</remarks>
    public KvmCpuidEntry2[] GetCpuid2() =>
        KvmBuffers.GrowUntilFits<KvmCpuid2Header, KvmCpuidEntry2>(
            _fd, KvmIoctls.GetCpuid2, "KVM_GET_CPUID2", capacity => new KvmCpuid2Header { Nent = (uint)capacity }, h => (int)h.Nent,
            trimUnwritten: true);

    /// <summary>KVM_SET_SIGNAL_MASK: the signals blocked while the thread is inside KVM_RUN, as
    /// the kernel's 64-bit mask (bit n-1 for signal n), e.g. from <see cref="ThreadKick.ForCurrentThread"/>.</summary>
    public void SetSignalMask(ulong kernelMask)
    {
        var mask = new KvmSignalMask { Len = sizeof(ulong), Sigset = kernelMask };
        Ioctl.Invoke(_fd, KvmIoctls.SetSignalMask, ref mask, "KVM_SET_SIGNAL_MASK");
    }

    /// <summary>
    /// Unmaps kvm_run and closes the vCPU; not while another thread is inside <see cref="Run"/>.
    /// </summary>
    public void Dispose()
    {
        _runMapping.Dispose();
        _fd.Dispose();
    }

    private T Get<T>(nuint request, string name)
        where T : unmanaged
    {
        T value = default;
        Ioctl.Invoke(_fd, request, ref value, name);
        return value;
    }

    // _IOW requests only read the argument, so passing the caller's readonly reference is safe.
    private void Set<T>(nuint request, in T value, string name)
        where T : unmanaged
        => Ioctl.Invoke(_fd, request, ref Unsafe.AsRef(in value), name);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowRunFailed(int errno) => throw new ErrnoException(errno, "KVM_RUN");
}
