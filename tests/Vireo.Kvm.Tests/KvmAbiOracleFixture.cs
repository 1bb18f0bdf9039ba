using System.Text;
using Vireo.TestSupport;

namespace Vireo.Kvm.Tests;

/// <summary>Compiles and runs one C probe over linux/kvm.h for the whole test class: every struct
/// in <see cref="KvmLayouts"/>, every ioctl macro in <see cref="KvmAbiOracleFixture.Ioctls"/> and
/// every constant the enums and <see cref="KvmConstants"/> mirror.</summary>
public sealed class KvmAbiOracleFixture
{
    private readonly Lazy<CLayoutOracle> _oracle;

    public KvmAbiOracleFixture()
    {
        // Lazy, so a host without gcc skips the tests instead of failing the fixture.
        _oracle = new Lazy<CLayoutOracle>(() => CLayoutOracle.Run(
            ["linux/kvm.h"],
            KvmLayouts.All,
            Ioctls.Select(i => i.Macro).Concat(Constants.Select(c => c.Macro))));
    }

    public CLayoutOracle Oracle => _oracle.Value;

    /// <summary>Each ioctl request macro and the number Vireo.Kvm computed.</summary>
    internal static readonly (string Macro, nuint Value)[] Ioctls =
    [
        ("KVM_GET_API_VERSION", KvmIoctls.GetApiVersion),
        ("KVM_CREATE_VM", KvmIoctls.CreateVm),
        ("KVM_GET_MSR_INDEX_LIST", KvmIoctls.GetMsrIndexList),
        ("KVM_CHECK_EXTENSION", KvmIoctls.CheckExtension),
        ("KVM_GET_VCPU_MMAP_SIZE", KvmIoctls.GetVcpuMmapSize),
        ("KVM_GET_SUPPORTED_CPUID", KvmIoctls.GetSupportedCpuid),
        ("KVM_CREATE_VCPU", KvmIoctls.CreateVcpu),
        ("KVM_SET_USER_MEMORY_REGION", KvmIoctls.SetUserMemoryRegion),
        ("KVM_SET_TSS_ADDR", KvmIoctls.SetTssAddr),
        ("KVM_SET_IDENTITY_MAP_ADDR", KvmIoctls.SetIdentityMapAddr),
        ("KVM_CREATE_IRQCHIP", KvmIoctls.CreateIrqchip),
        ("KVM_IRQ_LINE", KvmIoctls.IrqLine),
        ("KVM_GET_IRQCHIP", KvmIoctls.GetIrqchip),
        ("KVM_SET_IRQCHIP", KvmIoctls.SetIrqchip),
        ("KVM_SET_GSI_ROUTING", KvmIoctls.SetGsiRouting),
        ("KVM_IRQFD", KvmIoctls.Irqfd),
        ("KVM_CREATE_PIT2", KvmIoctls.CreatePit2),
        ("KVM_IOEVENTFD", KvmIoctls.Ioeventfd),
        ("KVM_REGISTER_COALESCED_MMIO", KvmIoctls.RegisterCoalescedMmio),
        ("KVM_UNREGISTER_COALESCED_MMIO", KvmIoctls.UnregisterCoalescedMmio),
        ("KVM_SET_CLOCK", KvmIoctls.SetClock),
        ("KVM_GET_CLOCK", KvmIoctls.GetClock),
        ("KVM_GET_PIT2", KvmIoctls.GetPit2),
        ("KVM_SET_PIT2", KvmIoctls.SetPit2),
        ("KVM_RUN", KvmIoctls.Run),
        ("KVM_GET_REGS", KvmIoctls.GetRegs),
        ("KVM_SET_REGS", KvmIoctls.SetRegs),
        ("KVM_GET_SREGS", KvmIoctls.GetSregs),
        ("KVM_SET_SREGS", KvmIoctls.SetSregs),
        ("KVM_GET_MSRS", KvmIoctls.GetMsrs),
        ("KVM_SET_MSRS", KvmIoctls.SetMsrs),
        ("KVM_SET_SIGNAL_MASK", KvmIoctls.SetSignalMask),
        ("KVM_GET_FPU", KvmIoctls.GetFpu),
        ("KVM_SET_FPU", KvmIoctls.SetFpu),
        ("KVM_GET_LAPIC", KvmIoctls.GetLapic),
        ("KVM_SET_LAPIC", KvmIoctls.SetLapic),
        ("KVM_SET_CPUID2", KvmIoctls.SetCpuid2),
        ("KVM_GET_CPUID2", KvmIoctls.GetCpuid2),
        ("KVM_GET_MP_STATE", KvmIoctls.GetMpState),
        ("KVM_SET_MP_STATE", KvmIoctls.SetMpState),
        ("KVM_GET_VCPU_EVENTS", KvmIoctls.GetVcpuEvents),
        ("KVM_SET_VCPU_EVENTS", KvmIoctls.SetVcpuEvents),
        ("KVM_GET_DEBUGREGS", KvmIoctls.GetDebugregs),
        ("KVM_SET_DEBUGREGS", KvmIoctls.SetDebugregs),
        ("KVM_GET_XSAVE", KvmIoctls.GetXsave),
        ("KVM_SET_XSAVE", KvmIoctls.SetXsave),
        ("KVM_GET_XCRS", KvmIoctls.GetXcrs),
        ("KVM_SET_XCRS", KvmIoctls.SetXcrs),
        ("KVM_GET_XSAVE2", KvmIoctls.GetXsave2),
    ];

    /// <summary>Each constant macro and the value Vireo.Kvm uses. Enum members are listed by
    /// turning their PascalCase name into the macro's name, so a new member is checked too.</summary>
    internal static readonly (string Macro, ulong Value)[] Constants =
    [
        ("KVMIO", KvmIoctls.KvmIo),
        ("KVM_API_VERSION", (ulong)KvmConstants.ApiVersion),
        ("KVM_MEM_LOG_DIRTY_PAGES", KvmConstants.MemLogDirtyPages),
        ("KVM_MEM_READONLY", KvmConstants.MemReadOnly),
        ("KVM_EXIT_IO_IN", KvmConstants.ExitIoIn),
        ("KVM_EXIT_IO_OUT", KvmConstants.ExitIoOut),
        ("KVM_IRQFD_FLAG_DEASSIGN", KvmConstants.IrqfdFlagDeassign),
        ("KVM_IRQFD_FLAG_RESAMPLE", KvmConstants.IrqfdFlagResample),
        ("KVM_IOEVENTFD_FLAG_DATAMATCH", KvmConstants.IoeventfdFlagDatamatch),
        ("KVM_IOEVENTFD_FLAG_PIO", KvmConstants.IoeventfdFlagPio),
        ("KVM_IOEVENTFD_FLAG_DEASSIGN", KvmConstants.IoeventfdFlagDeassign),
        ("KVM_IRQ_ROUTING_IRQCHIP", KvmConstants.IrqRoutingIrqchip),
        ("KVM_IRQ_ROUTING_MSI", KvmConstants.IrqRoutingMsi),
        ("KVM_MSI_VALID_DEVID", KvmConstants.MsiValidDevid),
        ("KVM_APIC_REG_SIZE", (ulong)KvmConstants.ApicRegSize),
        ("KVM_IOAPIC_NUM_PINS", (ulong)KvmConstants.IoapicNumPins),
        ("KVM_MAX_XCRS", (ulong)KvmConstants.MaxXcrs),
        .. EnumMacros<KvmCapability>("KVM_CAP_"),
        .. EnumMacros<KvmExitReason>("KVM_EXIT_"),
        .. EnumMacros<KvmIrqchipId>("KVM_IRQCHIP_"),
        .. EnumMacros<VcpuMpState>("KVM_MP_STATE_"),
        .. EnumMacros<KvmDeviceType>("KVM_DEV_TYPE_"),
        .. EnumMacros<KvmSystemEventType>("KVM_SYSTEM_EVENT_"),
    ];

    internal static IEnumerable<(string, ulong)> EnumMacros<TEnum>(string prefix)
        where TEnum : struct, Enum
        => Enum.GetValues<TEnum>().Select(v => (prefix + MacroName(v.ToString()), Convert.ToUInt64(v, System.Globalization.CultureInfo.InvariantCulture)));

    // Macro names the PascalCase rule cannot produce (digits the header separates). A switch, not
    // a static dictionary, because the static lists above are built before later initializers run.
    private static string MacroName(string member) => member switch
    {
        "ArmPsci02" => "ARM_PSCI_0_2",
        "ArmIrqLineLayout2" => "ARM_IRQ_LINE_LAYOUT_2",
        "Psci02" => "PSCI_0_2",
        "El1Aarch32" => "EL1_32BIT",
        _ => ToMacroCase(member),
    };

    // "NrMemslots" -> "NR_MEMSLOTS", "X2apicApi" -> "X2APIC_API", "Pit2" -> "PIT2".
    internal static string ToMacroCase(string pascal)
    {
        var macro = new StringBuilder();
        for (int i = 0; i < pascal.Length; i++)
        {
            char ch = pascal[i];
            if (i > 0 && char.IsUpper(ch) && (char.IsLower(pascal[i - 1]) || char.IsDigit(pascal[i - 1])))
            {
                macro.Append('_');
            }
            macro.Append(char.ToUpperInvariant(ch));
        }
        return macro.ToString();
    }
}
