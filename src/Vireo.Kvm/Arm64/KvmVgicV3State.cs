namespace Vireo.Kvm;

/// <summary>
/// Saves the in-kernel GICv3's state (<see cref="KvmDeviceType.ArmVgicV3"/>) as a list of register
/// attributes and restores it into a new GIC of the same shape, for a VM snapshot restored in
/// another process (Documentation/virt/kvm/devices/arm-vgic-v3.rst). The state is what a guest
/// without LPIs or an ITS can change: the distributor with every SPI's configuration, each vCPU's
/// redistributor with its SGIs and PPIs, each vCPU's CPU interface (the ICC_* system registers)
/// and the input levels of the SPI lines.
/// <para>Both sides need the vCPUs stopped (KVM answers EBUSY otherwise). Save and restore the
/// vCPUs' MPIDR_EL1 (KVM_SET_ONE_REG) before <see cref="Restore"/>: the redistributor and CPU
/// interface attrs name their vCPU by affinity, and KVM resolves an SPI's saved route (GICD_IROUTER)
/// to a vCPU by it.</para>
/// </summary>
public static class KvmVgicV3State
{
    // Distributor registers (GICv3 spec, IHI 0069, the GICD register map). The per-interrupt
    // registers hold 1, 2, 8 or 64 bits per INTID from offset 0 for INTID 0; the distributor's
    // words for INTIDs 0-31 are reserved (those live in each redistributor), so SPIs start at 32.
    private const uint GicdCtlr = 0x0000;
    private const uint GicdIidr = 0x0008;
    private const uint GicdIgroupr = 0x0080;
    private const uint GicdIsenabler = 0x0100;
    private const uint GicdIspendr = 0x0200;
    private const uint GicdIsactiver = 0x0300;
    private const uint GicdIpriorityr = 0x0400;
    private const uint GicdIcfgr = 0x0c00;
    private const uint GicdIgrpmodr = 0x0d00;
    private const uint GicdIrouter = 0x6000;

    // Redistributor registers: RD_base's, then the SGI_base frame's, which repeat the distributor's
    // offsets for INTIDs 0-31 of that vCPU (GICR_IGROUPR0 ... GICR_IGRPMODR0).
    private const uint GicrCtlr = 0x0000;
    private const uint GicrWaker = 0x0014;
    private const uint GicrPropbaser = 0x0070;
    private const uint GicrPendbaser = 0x0078;
    private const uint Sgi = KvmArmVgic.RedistSgiFrame;

    // INTIDs 1020-1023 are special (GICv3 spec, "Special INTIDs"): no GICD_IPRIORITYR word or GICD_IROUTER of
    // them is defined, even where GRP_NR_IRQS = 1024 makes the bit-per-INTID words reach them.
    private const uint FirstSpecialIntid = 1020;

    // CPU interface system registers (GICv3 spec, the ICC_*_EL1 encodings; linux
    // arch/arm64/include/asm/sysreg.h SYS_ICC_*).
    private static readonly ushort s_iccPmr = KvmArmVgic.SysregInstruction(3, 0, 4, 6, 0);
    private static readonly ushort s_iccBpr0 = KvmArmVgic.SysregInstruction(3, 0, 12, 8, 3);
    private static readonly ushort s_iccBpr1 = KvmArmVgic.SysregInstruction(3, 0, 12, 12, 3);
    private static readonly ushort s_iccCtlr = KvmArmVgic.SysregInstruction(3, 0, 12, 12, 4);
    private static readonly ushort s_iccSre = KvmArmVgic.SysregInstruction(3, 0, 12, 12, 5);
    private static readonly ushort s_iccIgrpen0 = KvmArmVgic.SysregInstruction(3, 0, 12, 12, 6);
    private static readonly ushort s_iccIgrpen1 = KvmArmVgic.SysregInstruction(3, 0, 12, 12, 7);

    /// <summary>ICC_AP0R<paramref name="n"/>_EL1 (3, 0, 12, 8, 4 + n).</summary>
    private static ushort IccAp0r(int n) => KvmArmVgic.SysregInstruction(3, 0, 12, 8, 4 + n);

    /// <summary>ICC_AP1R<paramref name="n"/>_EL1 (3, 0, 12, 9, n).</summary>
    private static ushort IccAp1r(int n) => KvmArmVgic.SysregInstruction(3, 0, 12, 9, n);

    /// <summary>Reads the state of <paramref name="gic"/>, a GICv3 created with
    /// <paramref name="interruptCount"/> interrupts (what was set in <see cref="KvmArmVgic.GroupNrIrqs"/>)
    /// for the vCPUs whose MPIDR_EL1 values are <paramref name="mpidrs"/> (in vCPU order, as
    /// KVM_GET_ONE_REG reads them). The list is in the order <see cref="Restore"/> writes it.</summary>
    /// <param name="gic">The GIC.</param>
    /// <param name="mpidrs">The vCPUs' MPIDR_EL1 values.</param>
    /// <param name="interruptCount">The GIC's interrupts.</param>
    /// <param name="lpis">The GIC has an ITS, so each redistributor's LPI configuration (GICR_PROPBASER,
    /// GICR_PENDBASER and GICR_CTLR.EnableLPIs) is state too; the LPIs' pending bits travel in guest
    /// RAM (<see cref="KvmVgicItsState.Save"/> writes them there).</param>
    public static IReadOnlyList<KvmVgicV3Register> Save(IKvmDeviceAttributeAccess gic, IReadOnlyList<ulong> mpidrs, uint interruptCount, bool lpis = false)
    {
        ArgumentNullException.ThrowIfNull(gic);
        CheckShape(mpidrs, interruptCount);
        var saved = new List<KvmVgicV3Register>();
        Walk(mpidrs, interruptCount, lpis, slot =>
        {
            ulong value = slot.Wide ? gic.GetAttribute(slot.Group, slot.Attr) : gic.GetAttribute32(slot.Group, slot.Attr);
            saved.Add(new KvmVgicV3Register(slot.Group, slot.Attr, value));
            return value;
        });
        return saved.ToArray();
    }

    /// <summary>Writes <paramref name="registers"/> (from <see cref="Save"/>, possibly through a
    /// snapshot file) into <paramref name="gic"/>, in their order. <paramref name="gic"/> must be
    /// freshly created with the same <paramref name="interruptCount"/>, for vCPUs with the same
    /// <paramref name="mpidrs"/>, and initialized (<see cref="KvmArmVgic.CtrlInit"/>), but not yet
    /// run. A list that is not exactly what <see cref="Save"/> makes for this shape (the same groups
    /// and attrs in the same order, each value within its register's width) is refused with
    /// <see cref="KvmVgicStateException"/> before anything is written.</summary>
    /// <param name="gic">The GIC.</param>
    /// <param name="mpidrs">The vCPUs' MPIDR_EL1 values.</param>
    /// <param name="interruptCount">The GIC's interrupts.</param>
    /// <param name="registers">What <see cref="Save"/> read.</param>
    /// <param name="lpis">As given to <see cref="Save"/>: the GIC has an ITS.</param>
    public static void Restore(IKvmDeviceAttributeAccess gic, IReadOnlyList<ulong> mpidrs, uint interruptCount, IReadOnlyList<KvmVgicV3Register> registers, bool lpis = false)
    {
        ArgumentNullException.ThrowIfNull(gic);
        ArgumentNullException.ThrowIfNull(registers);
        CheckShape(mpidrs, interruptCount);
        string shape = $"a GIC with {mpidrs.Count} vCPUs and {interruptCount} interrupts{(lpis ? " and LPIs" : "")}";
        int index = 0;
        Walk(mpidrs, interruptCount, lpis, slot =>
        {
            if (index >= registers.Count)
            {
                throw new KvmVgicStateException(
                    $"the saved GIC state ends after {registers.Count} registers, where {shape} has more (next: group {slot.Group}, attr 0x{slot.Attr:x})");
            }
            KvmVgicV3Register register = registers[index];
            if (register.Group != slot.Group || register.Attr != slot.Attr)
            {
                throw new KvmVgicStateException(
                    $"saved GIC register {index} is group {register.Group}, attr 0x{register.Attr:x}, where {shape} has group {slot.Group}, attr 0x{slot.Attr:x}");
            }
            if (!slot.Wide && register.Value > uint.MaxValue)
            {
                throw new KvmVgicStateException(
                    $"saved GIC register {index} (group {register.Group}, attr 0x{register.Attr:x}) holds 0x{register.Value:x}, which does not fit its 32 bits");
            }
            index++;
            return register.Value;
        });
        if (index != registers.Count)
        {
            throw new KvmVgicStateException($"the saved GIC state has {registers.Count} registers, where {shape} has {index}");
        }

        // Every set-only register (ISENABLER, ISACTIVER; ISPENDR, which KVM's userspace access
        // writes as the pending latch itself) only has to set the saved bits: a GIC fresh from
        // CTRL_INIT has every interrupt disabled, inactive and not pending, so nothing is left to clear.
        foreach (KvmVgicV3Register register in registers)
        {
            if (IsWide(register.Group))
            {
                gic.SetAttribute(register.Group, register.Attr, register.Value);
            }
            else
            {
                gic.SetAttribute32(register.Group, register.Attr, (uint)register.Value);
            }
        }
    }

    /// <summary>The number of ICC_AP0R&lt;n&gt;_EL1 (and of ICC_AP1R&lt;n&gt;_EL1) registers a CPU
    /// interface has, from ICC_CTLR_EL1.PRIbits (bits 10-8, the priority bits less one): 5 bits
    /// (32 preemption levels) need one register, 6 bits two, 7 bits four (GICv3 spec, ICC_AP0R&lt;n&gt;_EL1;
    /// KVM's vgic_v3_max_apr_idx, which refuses the others). KVM's virtual CPU interface implements
    /// 5 to 7 priority bits; any other value is refused.</summary>
    private static int ActivePriorityRegisterCount(ulong iccCtlr, int vcpu)
    {
        int priorityBits = (int)((iccCtlr >> 8) & 0x7) + 1;
        return priorityBits switch
        {
            5 => 1,
            6 => 2,
            7 => 4,
            _ => throw new KvmVgicStateException(
                $"ICC_CTLR_EL1 of vCPU {vcpu} (0x{iccCtlr:x}) gives {priorityBits} priority bits, where KVM's vGICv3 implements 5 to 7"),
        };
    }

    private static bool IsWide(uint group) => group == KvmArmVgic.GroupCpuSysregs;

    /// <summary>
    /// Calls <paramref name="visit"/> for every register of the GIC's shape, in restore order; the
    /// value it returns for ICC_CTLR_EL1 decides how many active-priority registers follow.
    /// The order, and why:
    /// <list type="number">
    /// <item>GICD_IIDR first: the document asks for it before any other register, since its
    /// revision selects the behaviour KVM gives the rest (a revision this kernel lacks fails here).</item>
    /// <item>GICD_CTLR before any pending, active or enable bit: KVM puts a pending, enabled
    /// interrupt on a vCPU's list only while the distributor is enabled (vgic_target_oracle), and
    /// a userspace write of GICD_CTLR does not look again at interrupts already pending; written
    /// last, the saved pending interrupts would never be delivered.</item>
    /// <item>Then for the SPIs, configuration before state: group, group modifier, priority,
    /// trigger (ICFGR) and route (IROUTER, so a pending SPI is queued on its own vCPU); then the
    /// line levels; then pending, active and, last, enable, the order a driver follows (the GIC
    /// spec leaves a trigger change of an enabled interrupt UNPREDICTABLE).</item>
    /// <item>Each redistributor in the same order for its SGIs and PPIs, after the distributor
    /// (whose GICD_CTLR gates them as well).</item>
    /// <item>Each CPU interface: ICC_SRE_EL1 (KVM requires SRE set); PMR, BPR0; BPR1 before
    /// ICC_CTLR_EL1, because KVM ignores BPR1 writes while CTLR.CBPR is set and a fresh interface
    /// has it clear; ICC_CTLR_EL1 before the AP0R/AP1R, because its PRIbits set how many of them
    /// KVM accepts; the group enables last.</item>
    /// </list>
    /// With LPIs, each redistributor's GICR_PROPBASER and GICR_PENDBASER (as two words each, as
    /// KVM takes them) come before its GICR_CTLR: once EnableLPIs is set they are read-only.
    /// Left out: the ITS's own state (<see cref="KvmVgicItsState"/>); GICD_STATUSR and GICR_STATUSR (error
    /// reports, not state); ID and type registers (fixed by the shape). The PPIs' line levels are
    /// left out too: the timer and PMU PPIs are driven by KVM itself from the vCPU's restored
    /// registers, and Vireo injects no PPI of its own.
    /// </summary>
    private static void Walk(IReadOnlyList<ulong> mpidrs, uint interruptCount, bool lpis, Func<Slot, ulong> visit)
    {
        uint words = interruptCount / 32;
        uint routedEnd = Math.Min(interruptCount, FirstSpecialIntid);

        visit(Dist(GicdIidr));
        visit(Dist(GicdCtlr));
        for (uint word = 1; word < words; word++)
        {
            visit(Dist(GicdIgroupr + (word * 4)));
        }
        for (uint word = 1; word < words; word++)
        {
            visit(Dist(GicdIgrpmodr + (word * 4)));
        }
        for (uint intid = 32; intid < routedEnd; intid += 4)
        {
            visit(Dist(GicdIpriorityr + intid));
        }
        for (uint intid = 32; intid < interruptCount; intid += 16)
        {
            visit(Dist(GicdIcfgr + (intid / 4)));
        }
        // 64-bit, as two words (low, then high: Aff3), which is how KVM takes it from userspace.
        for (uint intid = 32; intid < routedEnd; intid++)
        {
            visit(Dist(GicdIrouter + (intid * 8)));
            visit(Dist(GicdIrouter + (intid * 8) + 4));
        }
        // SPIs' levels are the same through every vCPU; KVM still wants one that exists.
        for (uint intid = 32; intid < interruptCount; intid += 32)
        {
            visit(new Slot(KvmArmVgic.GroupLevelInfo, KvmArmVgic.LineLevelAttr(mpidrs[0], intid), Wide: false));
        }
        foreach (uint bank in (ReadOnlySpan<uint>)[GicdIspendr, GicdIsactiver, GicdIsenabler])
        {
            for (uint word = 1; word < words; word++)
            {
                visit(Dist(bank + (word * 4)));
            }
        }

        foreach (ulong mpidr in mpidrs)
        {
            if (lpis)
            {
                foreach (uint half in (ReadOnlySpan<uint>)[GicrPropbaser, GicrPropbaser + 4, GicrPendbaser, GicrPendbaser + 4])
                {
                    visit(Redist(mpidr, half));
                }
            }
            // GICR_CTLR holds only EnableLPIs (ignored without an ITS) and GICR_WAKER is RAZ/WI in
            // today's KVM, as GICR_IGRPMODR0 is; they are kept so a kernel that gives them state loses none.
            visit(Redist(mpidr, GicrCtlr));
            visit(Redist(mpidr, GicrWaker));
            visit(Redist(mpidr, Sgi + GicdIgroupr));
            visit(Redist(mpidr, Sgi + GicdIgrpmodr));
            for (uint intid = 0; intid < 32; intid += 4)
            {
                visit(Redist(mpidr, Sgi + GicdIpriorityr + intid));
            }
            visit(Redist(mpidr, Sgi + GicdIcfgr));
            visit(Redist(mpidr, Sgi + GicdIcfgr + 4));
            visit(Redist(mpidr, Sgi + GicdIspendr));
            visit(Redist(mpidr, Sgi + GicdIsactiver));
            visit(Redist(mpidr, Sgi + GicdIsenabler));
        }

        for (int vcpu = 0; vcpu < mpidrs.Count; vcpu++)
        {
            ulong mpidr = mpidrs[vcpu];
            visit(Cpu(mpidr, s_iccSre));
            visit(Cpu(mpidr, s_iccPmr));
            visit(Cpu(mpidr, s_iccBpr0));
            visit(Cpu(mpidr, s_iccBpr1));
            int activePriorityRegisters = ActivePriorityRegisterCount(visit(Cpu(mpidr, s_iccCtlr)), vcpu);
            for (int n = 0; n < activePriorityRegisters; n++)
            {
                visit(Cpu(mpidr, IccAp0r(n)));
            }
            for (int n = 0; n < activePriorityRegisters; n++)
            {
                visit(Cpu(mpidr, IccAp1r(n)));
            }
            visit(Cpu(mpidr, s_iccIgrpen0));
            visit(Cpu(mpidr, s_iccIgrpen1));
        }
    }

    private static Slot Dist(uint offset) => new(KvmArmVgic.GroupDistRegs, KvmArmVgic.RegisterAttr(0, offset), Wide: false);

    private static Slot Redist(ulong mpidr, uint offset) => new(KvmArmVgic.GroupRedistRegs, KvmArmVgic.RegisterAttr(mpidr, offset), Wide: false);

    private static Slot Cpu(ulong mpidr, ushort instruction) => new(KvmArmVgic.GroupCpuSysregs, KvmArmVgic.SysregAttr(mpidr, instruction), Wide: true);

    private static void CheckShape(IReadOnlyList<ulong> mpidrs, uint interruptCount)
    {
        ArgumentNullException.ThrowIfNull(mpidrs);
        if (mpidrs.Count == 0)
        {
            throw new ArgumentException("a GIC has at least one vCPU", nameof(mpidrs));
        }
        var affinities = new HashSet<ulong>();
        foreach (ulong mpidr in mpidrs)
        {
            if (!affinities.Add(KvmArmVgic.MpidrAttr(mpidr)))
            {
                throw new ArgumentException($"two vCPUs have the affinity of MPIDR_EL1 0x{mpidr:x}", nameof(mpidrs));
            }
        }
        // KVM_DEV_ARM_VGIC_GRP_NR_IRQS: 64 to 1024 in steps of 32.
        ArgumentOutOfRangeException.ThrowIfLessThan(interruptCount, 64u);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(interruptCount, 1024u);
        if (interruptCount % 32 != 0)
        {
            throw new ArgumentException($"interrupt count {interruptCount} is not a multiple of 32", nameof(interruptCount));
        }
    }

    /// <summary>One register of the GIC's shape: where it is and whether it is 64 bits wide.</summary>
    private readonly record struct Slot(uint Group, ulong Attr, bool Wide);
}
