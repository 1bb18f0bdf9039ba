using Vireo.Kvm;
using Vireo.Sdei;

namespace Vireo.Vmm.Arm64;

/// <summary>
/// The arm64 machine's SDEI firmware (DEN0054, seed 003): KVM forwards the guest's SDEI calls
/// (the SMC64 function range from <see cref="FirstFunction"/>, KVM_ARM_VM_SMCCC_FILTER with
/// FWD_TO_USER, Linux 6.4) to the vCPU's thread as KVM_EXIT_HYPERCALL, and this glue hands each to
/// the pure <see cref="SdeiDispatcher"/> with that vCPU's registers read and written through
/// KVM_GET/SET_ONE_REG. An event the dispatcher wants delivered interrupts the target vCPU, which
/// enters the handler before it next runs guest code.
/// </summary>
public sealed class SdeiFirmware : IHypercallHandler, ISdeiHost
{
    /// <summary>SDEI_VERSION, the first SDEI function (SMC64 fast call, OEN standard secure).</summary>
    public const uint FirstFunction = (uint)SdeiFunction.Version;

    /// <summary>The functions forwarded: the 32 IDs from <see cref="FirstFunction"/> (SDEI 1.1
    /// defines 0x20-0x32; an ID the dispatcher does not know answers NOT_SUPPORTED).</summary>
    public const uint FunctionCount = 32;

    private readonly VcpuRunner[] _vcpus;
    private readonly int[] _deliveryRequested;

    /// <summary>The machine's SDEI firmware over <paramref name="vcpus"/>, with the architectural
    /// event 0 (software-signalled) and <paramref name="events"/> in its static table, and the
    /// interrupts of <paramref name="binder"/> offered to INTERRUPT_BIND (none when null).</summary>
    public SdeiFirmware(IReadOnlyList<VcpuRunner> vcpus, IReadOnlyList<SdeiEventDescriptor> events, SdeiInterruptBinder? binder = null)
    {
        ArgumentNullException.ThrowIfNull(vcpus);
        ArgumentNullException.ThrowIfNull(events);
        _vcpus = [.. vcpus];
        _deliveryRequested = new int[_vcpus.Length];
        Dispatcher = new SdeiDispatcher(events, [.. _vcpus.Select(v => v.Vcpu.GetOneReg(KvmArm64Registers.MpidrEl1))], this, binder);
        binder?.Attach(Dispatcher);
    }

    /// <summary>The dispatcher: its state, and the host's way to signal events.</summary>
    public SdeiDispatcher Dispatcher { get; }

    /// <summary>Asks KVM to forward the SDEI function range; before any vCPU has run. False (and
    /// nothing asked) where KVM has no SMCCC filter (before Linux 6.4): the guest then finds no
    /// SDEI, as KVM answers the calls NOT_SUPPORTED itself.</summary>
    public static bool Forward(KvmVm vm)
    {
        ArgumentNullException.ThrowIfNull(vm);
        if (!vm.SupportsSmcccFilter)
        {
            return false;
        }
        vm.SetSmcccFilter(FirstFunction, FunctionCount, KvmSmcccFilterAction.FwdToUser);
        return true;
    }

    /// <inheritdoc />
    public void Handle(VcpuRunner vcpu, uint functionId)
    {
        ArgumentNullException.ThrowIfNull(vcpu);
        var registers = new OneRegContext(vcpu.Vcpu);
        var call = new SmcccCall(functionId, registers.GetX(1), registers.GetX(2), registers.GetX(3), registers.GetX(4), registers.GetX(5));
        Dispatcher.Call((int)vcpu.Index, call, registers);
    }

    /// <inheritdoc />
    public void BeforeEntry(VcpuRunner vcpu)
    {
        ArgumentNullException.ThrowIfNull(vcpu);
        // Every entry passes here: a plain read first, the exchange only when a delivery waits.
        if (Volatile.Read(ref _deliveryRequested[vcpu.Index]) != 0 && Interlocked.Exchange(ref _deliveryRequested[vcpu.Index], 0) != 0)
        {
            // The request may have come in an MMIO exit (a bound interrupt raised by the access,
            // or a host signal that raced it): KVM must finish that access before the dispatcher
            // saves the PC and moves it to the handler.
            vcpu.CompletePendingExit();
            Dispatcher.Deliver((int)vcpu.Index, new OneRegContext(vcpu.Vcpu));
        }
    }

    /// <inheritdoc />
    /// <remarks>Under the dispatcher's lock: only marks the vCPU and kicks it out of KVM_RUN.</remarks>
    public void RequestDelivery(int vcpu)
    {
        Volatile.Write(ref _deliveryRequested[vcpu], 1);
        _vcpus[vcpu].Interrupt();
    }

    /// <summary>A stopped vCPU's registers as the dispatcher reads and writes them, each access one
    /// ONE_REG ioctl (a call touches a handful).</summary>
    private sealed class OneRegContext(KvmVcpu vcpu) : ISdeiVcpuContext
    {
        // SCTLR_EL1: op0 3, op1 0, CRn 1, CRm 0, op2 0.
        private static readonly ulong s_sctlrEl1 = KvmArm64Registers.SystemRegister(3, 0, 1, 0, 0);

        public ulong GetX(int index) => vcpu.GetOneReg(KvmArm64Registers.X(index));

        public void SetX(int index, ulong value) => vcpu.SetOneReg(KvmArm64Registers.X(index), value);

        public ulong Pc
        {
            get => vcpu.GetOneReg(KvmArm64Registers.Pc);
            set => vcpu.SetOneReg(KvmArm64Registers.Pc, value);
        }

        public ulong Pstate
        {
            get => vcpu.GetOneReg(KvmArm64Registers.Pstate);
            set => vcpu.SetOneReg(KvmArm64Registers.Pstate, value);
        }

        public ulong ElrEl1
        {
            set => vcpu.SetOneReg(KvmArm64Registers.ElrEl1, value);
        }

        // KVM_SPSR_EL1 is index 0 of kvm_regs.spsr[].
        public ulong SpsrEl1
        {
            set => vcpu.SetOneReg(KvmArm64Registers.Spsr(0), value);
        }

        public ulong SctlrEl1 => vcpu.GetOneReg(s_sctlrEl1);
    }
}
