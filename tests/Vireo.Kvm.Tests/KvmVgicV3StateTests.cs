namespace Vireo.Kvm.Tests;

/// <summary>The vGICv3 attr encodings and <see cref="KvmVgicV3State"/> against a fake GIC that keeps
/// its registers in a dictionary and records every access, without /dev/kvm.</summary>
public sealed class KvmVgicV3StateTests
{
    // Two vCPUs as KVM resets them (RES1 bit 31, Aff0 = vCPU index) and 96 interrupts: SPIs 32-95.
    private static readonly ulong[] s_twoVcpus = [0x8000_0000, 0x8000_0001];
    private const uint Interrupts = 96;

    // ICC_CTLR_EL1 with PRIbits (10-8) = 4: 5 priority bits, one AP0R and one AP1R.
    private const ulong CtlrFivePriorityBits = 0x0000_0400;

    // ... PRIbits = 6: 7 priority bits, four of each.
    private const ulong CtlrSevenPriorityBits = 0x0000_0600;

    [Fact]
    public void An_mpidr_becomes_the_attr_affinity_field_with_aff3_on_top()
    {
        // MPIDR_EL1: Aff3 0xab in 39-32, RES1 (31), U (30) and MT (24) set, Aff2 0xcd, Aff1 0xef, Aff0 0x12.
        const ulong mpidr = 0x0000_00ab_c1cd_ef12;

        Assert.Equal(0xabcd_ef12_0000_0000UL, KvmArmVgic.MpidrAttr(mpidr));
        Assert.Equal(0xabcd_ef12_0001_0080UL, KvmArmVgic.RegisterAttr(mpidr, 0x1_0080));
        Assert.Equal(0xabcd_ef12_0000_c230UL, KvmArmVgic.SysregAttr(mpidr, KvmArmVgic.SysregInstruction(3, 0, 4, 6, 0)));
        Assert.Equal(0xabcd_ef12_0000_0040UL, KvmArmVgic.LineLevelAttr(mpidr, 64));
    }

    [Theory]
    // op0 << 14 | op1 << 11 | CRn << 7 | CRm << 3 | op2, the encodings in the GICv3 spec's ICC_*_EL1 pages.
    [InlineData(3, 0, 4, 6, 0, 0xc230)]   // ICC_PMR_EL1
    [InlineData(3, 0, 12, 8, 3, 0xc643)]  // ICC_BPR0_EL1
    [InlineData(3, 0, 12, 8, 4, 0xc644)]  // ICC_AP0R0_EL1
    [InlineData(3, 0, 12, 9, 3, 0xc64b)]  // ICC_AP1R3_EL1
    [InlineData(3, 0, 12, 12, 3, 0xc663)] // ICC_BPR1_EL1
    [InlineData(3, 0, 12, 12, 4, 0xc664)] // ICC_CTLR_EL1
    [InlineData(3, 0, 12, 12, 5, 0xc665)] // ICC_SRE_EL1
    [InlineData(3, 0, 12, 12, 7, 0xc667)] // ICC_IGRPEN1_EL1
    public void Icc_register_encodings_match_the_gic_spec(int op0, int op1, int crn, int crm, int op2, int expected)
        => Assert.Equal((ushort)expected, KvmArmVgic.SysregInstruction(op0, op1, crn, crm, op2));

    [Fact]
    public void Attr_helpers_refuse_what_the_kernel_would_refuse()
    {
        Assert.Throws<ArgumentException>(() => KvmArmVgic.RegisterAttr(0, 0x102));
        Assert.Throws<ArgumentException>(() => KvmArmVgic.LineLevelAttr(0, 48));
        Assert.Throws<ArgumentOutOfRangeException>(() => KvmArmVgic.LineLevelAttr(0, 1024));
        Assert.Throws<ArgumentOutOfRangeException>(() => KvmArmVgic.SysregInstruction(4, 0, 0, 0, 0));
    }

    [Fact]
    public void Save_reads_every_register_of_the_shape_once_with_its_width()
    {
        var gic = new FakeGic();
        gic.SetCtlr(s_twoVcpus[0], CtlrFivePriorityBits);
        gic.SetCtlr(s_twoVcpus[1], CtlrFivePriorityBits);

        IReadOnlyList<KvmVgicV3Register> saved = KvmVgicV3State.Save(gic, s_twoVcpus, Interrupts);

        // Distributor: IIDR, CTLR, then for 64 SPIs 2 IGROUPR + 2 IGRPMODR + 16 IPRIORITYR + 4 ICFGR
        // + 64 IROUTER halves x 2 + 2 each of ISPENDR, ISACTIVER, ISENABLER.
        Assert.Equal(2 + 2 + 2 + 16 + 4 + 128 + 6, gic.Reads.Count(r => r.Group == KvmArmVgic.GroupDistRegs));
        // Per redistributor: CTLR, WAKER, IGROUPR0, IGRPMODR0, 8 IPRIORITYR, 2 ICFGR, ISPENDR0, ISACTIVER0, ISENABLER0.
        Assert.Equal(2 * 17, gic.Reads.Count(r => r.Group == KvmArmVgic.GroupRedistRegs));
        // Per CPU interface: SRE, PMR, BPR0, BPR1, CTLR, AP0R0, AP1R0, IGRPEN0, IGRPEN1.
        Assert.Equal(2 * 9, gic.Reads.Count(r => r.Group == KvmArmVgic.GroupCpuSysregs));
        // SPI line levels: INTIDs 32-63 and 64-95.
        Assert.Equal(2, gic.Reads.Count(r => r.Group == KvmArmVgic.GroupLevelInfo));
        Assert.Equal(gic.Reads.Count, gic.Reads.Distinct().Count());
        Assert.All(gic.Reads, r => Assert.Equal(r.Group == KvmArmVgic.GroupCpuSysregs, r.Wide));
        Assert.Equal(gic.Reads.Select(r => (r.Group, r.Attr)), saved.Select(r => (r.Group, r.Attr)));
        Assert.Empty(gic.Writes);
    }

    [Fact]
    public void Save_names_the_registers_at_their_spec_offsets_and_vcpus()
    {
        var gic = new FakeGic();
        gic.SetCtlr(s_twoVcpus[0], CtlrFivePriorityBits);
        gic.SetCtlr(s_twoVcpus[1], CtlrSevenPriorityBits);

        IReadOnlyList<KvmVgicV3Register> saved = KvmVgicV3State.Save(gic, s_twoVcpus, Interrupts);
        HashSet<(uint, ulong)> attrs = [.. saved.Select(r => (r.Group, r.Attr))];

        ulong vcpu1 = 0x0000_0001_0000_0000;
        Assert.Equal((KvmArmVgic.GroupDistRegs, 0x8UL), (saved[0].Group, saved[0].Attr));   // GICD_IIDR
        Assert.Equal((KvmArmVgic.GroupDistRegs, 0x0UL), (saved[1].Group, saved[1].Attr));   // GICD_CTLR
        Assert.Contains((KvmArmVgic.GroupDistRegs, 0x6000UL + (95 * 8) + 4), attrs);        // GICD_IROUTER95, high half
        Assert.DoesNotContain((KvmArmVgic.GroupDistRegs, 0x6000UL + (96 * 8)), attrs);
        Assert.Contains((KvmArmVgic.GroupDistRegs, 0x0c00UL + (80 / 4)), attrs);            // GICD_ICFGR5
        Assert.DoesNotContain((KvmArmVgic.GroupDistRegs, 0x0100UL), attrs);                 // no private word in the distributor
        Assert.Contains((KvmArmVgic.GroupRedistRegs, vcpu1 | 0x1_041c), attrs);             // GICR_IPRIORITYR7 of vCPU 1
        Assert.Contains((KvmArmVgic.GroupRedistRegs, vcpu1 | 0x1_0c04), attrs);             // GICR_ICFGR1
        Assert.Contains((KvmArmVgic.GroupLevelInfo, 64UL), attrs);
        // vCPU 0 has one active-priority register per group, vCPU 1 four, in the restore order.
        Assert.Equal(
            new ulong[] { 0xc665, 0xc230, 0xc643, 0xc663, 0xc664, 0xc644, 0xc648, 0xc666, 0xc667 },
            saved.Where(r => r.Group == KvmArmVgic.GroupCpuSysregs && r.Attr >> 32 == 0).Select(r => r.Attr));
        Assert.Equal(
            new ulong[] { 0xc665, 0xc230, 0xc643, 0xc663, 0xc664, 0xc644, 0xc645, 0xc646, 0xc647, 0xc648, 0xc649, 0xc64a, 0xc64b, 0xc666, 0xc667 },
            saved.Where(r => r.Group == KvmArmVgic.GroupCpuSysregs && r.Attr >> 32 == 1).Select(r => r.Attr & 0xffff));
    }

    [Fact]
    public void Save_puts_the_distributor_enable_before_any_pending_bit_and_the_cpu_ctlr_before_its_active_priorities()
    {
        var gic = new FakeGic();
        gic.SetCtlr(s_twoVcpus[0], CtlrFivePriorityBits);
        gic.SetCtlr(s_twoVcpus[1], CtlrFivePriorityBits);

        List<KvmVgicV3Register> saved = [.. KvmVgicV3State.Save(gic, s_twoVcpus, Interrupts)];

        int ctlr = saved.FindIndex(r => r.Group == KvmArmVgic.GroupDistRegs && r.Attr == 0);
        int firstPending = saved.FindIndex(r => r.Group == KvmArmVgic.GroupDistRegs && r.Attr == 0x204);
        int firstRedist = saved.FindIndex(r => r.Group == KvmArmVgic.GroupRedistRegs);
        int lastRoute = saved.FindLastIndex(r => r.Group == KvmArmVgic.GroupDistRegs && r.Attr >= 0x6000);
        int firstEnable = saved.FindIndex(r => r.Group == KvmArmVgic.GroupDistRegs && r.Attr == 0x104);
        Assert.True(ctlr < lastRoute && lastRoute < firstPending && firstPending < firstEnable && firstEnable < firstRedist);
        int iccCtlr = saved.FindIndex(r => r.Group == KvmArmVgic.GroupCpuSysregs && r.Attr == 0xc664);
        int ap0r0 = saved.FindIndex(r => r.Group == KvmArmVgic.GroupCpuSysregs && r.Attr == 0xc644);
        Assert.True(iccCtlr < ap0r0);
    }

    [Fact]
    public void Restore_writes_back_what_Save_read_in_the_same_order()
    {
        var source = new FakeGic(seed: 1);
        source.SetCtlr(s_twoVcpus[0], CtlrFivePriorityBits | 0x3);
        source.SetCtlr(s_twoVcpus[1], CtlrSevenPriorityBits);
        IReadOnlyList<KvmVgicV3Register> saved = KvmVgicV3State.Save(source, s_twoVcpus, Interrupts);
        var target = new FakeGic();

        KvmVgicV3State.Restore(target, s_twoVcpus, Interrupts, saved);

        Assert.Equal(saved, target.Writes.Select(w => new KvmVgicV3Register(w.Group, w.Attr, w.Value)));
        Assert.All(target.Writes, w => Assert.Equal(w.Group == KvmArmVgic.GroupCpuSysregs, w.Wide));
        Assert.All(saved, r => Assert.Equal(source.Registers[(r.Group, r.Attr)], target.Registers[(r.Group, r.Attr)]));
        // The fake's sysregs hold values above 32 bits, which the 64-bit group must carry whole.
        Assert.Contains(saved, r => r.Group == KvmArmVgic.GroupCpuSysregs && r.Value > uint.MaxValue);
    }

    [Fact]
    public void Restore_refuses_a_truncated_list_before_writing()
    {
        IReadOnlyList<KvmVgicV3Register> saved = SaveTwoVcpus();
        var target = new FakeGic();

        var error = Assert.Throws<KvmVgicStateException>(() => KvmVgicV3State.Restore(target, s_twoVcpus, Interrupts, saved.Take(saved.Count - 1).ToArray()));

        Assert.Contains("ends after", error.Message);
        Assert.Empty(target.Writes);
    }

    [Fact]
    public void Restore_refuses_a_list_with_a_register_too_many()
    {
        List<KvmVgicV3Register> saved = [.. SaveTwoVcpus()];
        saved.Add(saved[^1]);
        var target = new FakeGic();

        Assert.Throws<KvmVgicStateException>(() => KvmVgicV3State.Restore(target, s_twoVcpus, Interrupts, saved));
        Assert.Empty(target.Writes);
    }

    [Fact]
    public void Restore_refuses_a_list_saved_for_another_vcpu_count_or_interrupt_count()
    {
        IReadOnlyList<KvmVgicV3Register> saved = SaveTwoVcpus();
        var target = new FakeGic();

        Assert.Throws<KvmVgicStateException>(() => KvmVgicV3State.Restore(target, [s_twoVcpus[0]], Interrupts, saved));
        Assert.Throws<KvmVgicStateException>(() => KvmVgicV3State.Restore(target, [.. s_twoVcpus, 0x8000_0002], Interrupts, saved));
        Assert.Throws<KvmVgicStateException>(() => KvmVgicV3State.Restore(target, s_twoVcpus, Interrupts + 32, saved));
        Assert.Throws<KvmVgicStateException>(() => KvmVgicV3State.Restore(target, s_twoVcpus, 64, saved));
        Assert.Empty(target.Writes);
    }

    [Fact]
    public void Restore_refuses_a_reordered_list()
    {
        KvmVgicV3Register[] saved = [.. SaveTwoVcpus()];
        (saved[1], saved[2]) = (saved[2], saved[1]);
        var target = new FakeGic();

        var error = Assert.Throws<KvmVgicStateException>(() => KvmVgicV3State.Restore(target, s_twoVcpus, Interrupts, saved));

        Assert.Contains("register 1 ", error.Message);
        Assert.Empty(target.Writes);
    }

    [Fact]
    public void Restore_refuses_a_32_bit_register_holding_more_than_32_bits()
    {
        KvmVgicV3Register[] saved = [.. SaveTwoVcpus()];
        int last32 = Array.FindLastIndex(saved, r => r.Group == KvmArmVgic.GroupRedistRegs);
        saved[last32] = saved[last32] with { Value = 0x1_0000_0000 };
        var target = new FakeGic();

        var error = Assert.Throws<KvmVgicStateException>(() => KvmVgicV3State.Restore(target, s_twoVcpus, Interrupts, saved));

        Assert.Contains("32 bits", error.Message);
        Assert.Empty(target.Writes);
    }

    [Fact]
    public void Restore_refuses_an_icc_ctlr_with_priority_bits_kvm_does_not_implement()
    {
        KvmVgicV3Register[] saved = [.. SaveTwoVcpus()];
        int ctlr = Array.FindIndex(saved, r => r.Group == KvmArmVgic.GroupCpuSysregs && (r.Attr & 0xffff) == 0xc664);
        saved[ctlr] = saved[ctlr] with { Value = 0x700 }; // 8 priority bits
        var target = new FakeGic();

        Assert.Throws<KvmVgicStateException>(() => KvmVgicV3State.Restore(target, s_twoVcpus, Interrupts, saved));
        Assert.Empty(target.Writes);
    }

    [Fact]
    public void Restore_follows_the_saved_icc_ctlr_for_the_active_priority_count()
    {
        // A list whose ICC_CTLR_EL1 claims 7 priority bits but holds one AP0R/AP1R each is not Save's.
        KvmVgicV3Register[] saved = [.. SaveTwoVcpus()];
        int ctlr = Array.FindIndex(saved, r => r.Group == KvmArmVgic.GroupCpuSysregs && (r.Attr & 0xffff) == 0xc664);
        saved[ctlr] = saved[ctlr] with { Value = CtlrSevenPriorityBits };
        var target = new FakeGic();

        Assert.Throws<KvmVgicStateException>(() => KvmVgicV3State.Restore(target, s_twoVcpus, Interrupts, saved));
        Assert.Empty(target.Writes);
    }

    [Fact]
    public void Save_and_Restore_refuse_shapes_kvm_cannot_have()
    {
        var gic = new FakeGic();

        Assert.Throws<ArgumentException>(() => KvmVgicV3State.Save(gic, [], Interrupts));
        Assert.Throws<ArgumentException>(() => KvmVgicV3State.Save(gic, [0x8000_0001, 0x1], Interrupts));
        Assert.Throws<ArgumentOutOfRangeException>(() => KvmVgicV3State.Save(gic, s_twoVcpus, 32));
        Assert.Throws<ArgumentOutOfRangeException>(() => KvmVgicV3State.Save(gic, s_twoVcpus, 1056));
        Assert.Throws<ArgumentException>(() => KvmVgicV3State.Save(gic, s_twoVcpus, 100));
        Assert.Throws<ArgumentException>(() => KvmVgicV3State.Restore(gic, [], Interrupts, []));
        Assert.Empty(gic.Reads);
    }

    [Fact]
    public void A_full_size_gic_routes_and_prioritises_only_real_spis()
    {
        var gic = new FakeGic();
        gic.SetCtlr(s_twoVcpus[0], CtlrFivePriorityBits);

        IReadOnlyList<KvmVgicV3Register> saved = KvmVgicV3State.Save(gic, [s_twoVcpus[0]], 1024);
        HashSet<(uint, ulong)> attrs = [.. saved.Select(r => (r.Group, r.Attr))];

        Assert.Contains((KvmArmVgic.GroupDistRegs, 0x6000UL + (1019 * 8) + 4), attrs);
        Assert.DoesNotContain((KvmArmVgic.GroupDistRegs, 0x6000UL + (1020 * 8)), attrs);
        Assert.Contains((KvmArmVgic.GroupDistRegs, 0x0400UL + 1016), attrs);
        Assert.DoesNotContain((KvmArmVgic.GroupDistRegs, 0x0400UL + 1020), attrs);
        Assert.Contains((KvmArmVgic.GroupDistRegs, 0x0100UL + (31 * 4)), attrs);           // ISENABLER31
        Assert.Contains((KvmArmVgic.GroupLevelInfo, 992UL), attrs);
        KvmVgicV3State.Restore(new FakeGic(), [s_twoVcpus[0]], 1024, saved);
    }

    private static IReadOnlyList<KvmVgicV3Register> SaveTwoVcpus()
    {
        var source = new FakeGic(seed: 7);
        source.SetCtlr(s_twoVcpus[0], CtlrFivePriorityBits);
        source.SetCtlr(s_twoVcpus[1], CtlrFivePriorityBits);
        return KvmVgicV3State.Save(source, s_twoVcpus, Interrupts);
    }

    /// <summary>A GIC whose registers read as a value derived from their attr (0 with no seed) until
    /// written, and which records every access with its width.</summary>
    [Fact]
    public void With_lpis_each_redistributor_saves_propbaser_and_pendbaser_as_words_before_its_ctlr()
    {
        var plain = new FakeGic();
        var withLpis = new FakeGic();
        foreach (FakeGic gic in (FakeGic[])[plain, withLpis])
        {
            gic.SetCtlr(s_twoVcpus[0], CtlrFivePriorityBits);
            gic.SetCtlr(s_twoVcpus[1], CtlrFivePriorityBits);
        }

        IReadOnlyList<KvmVgicV3Register> without = KvmVgicV3State.Save(plain, s_twoVcpus, Interrupts);
        IReadOnlyList<KvmVgicV3Register> with = KvmVgicV3State.Save(withLpis, s_twoVcpus, Interrupts, lpis: true);

        Assert.Equal(without.Count + 8, with.Count);
        foreach (ulong mpidr in s_twoVcpus)
        {
            List<ulong> redist = [.. with.Where(r => r.Group == KvmArmVgic.GroupRedistRegs && (r.Attr & KvmArmVgic.MpidrMask) == KvmArmVgic.MpidrAttr(mpidr))
                .Select(r => r.Attr & KvmArmVgic.OffsetMask)];
            Assert.Equal([0x70UL, 0x74, 0x78, 0x7c, 0x00], redist.Take(5));
        }
        // Restoring takes the same shape, and refuses the other one.
        var target = new FakeGic();
        KvmVgicV3State.Restore(target, s_twoVcpus, Interrupts, with, lpis: true);
        Assert.Equal(with.Count, target.Writes.Count);
        Assert.Throws<KvmVgicStateException>(() => KvmVgicV3State.Restore(new FakeGic(), s_twoVcpus, Interrupts, with));
        Assert.Throws<KvmVgicStateException>(() => KvmVgicV3State.Restore(new FakeGic(), s_twoVcpus, Interrupts, without, lpis: true));
    }

    [Fact]
    public void Its_save_flushes_pending_and_translation_tables_to_ram_before_reading_its_registers()
    {
        var gic = new FakeGic();
        var its = new FakeGic(seed: 7);

        IReadOnlyList<KvmVgicV3Register> saved = KvmVgicItsState.Save(gic, its);

        Assert.Equal([(KvmArmVgic.GroupCtrl, KvmArmVgic.CtrlSavePendingTables)], gic.Controls);
        Assert.Equal([(KvmArmVgic.GroupCtrl, KvmArmVgic.ItsCtrlSaveTables)], its.Controls);
        // CBASER, IIDR, BASER0-7, CREADR, CWRITER, CTLR; each read as 64 bits.
        Assert.Equal([0x80UL, 0x04, 0x100, 0x108, 0x110, 0x118, 0x120, 0x128, 0x130, 0x138, 0x90, 0x88, 0x00], saved.Select(r => r.Attr));
        Assert.All(saved, r => Assert.Equal(KvmArmVgic.GroupItsRegs, r.Group));
        Assert.All(its.Reads, r => Assert.True(r.Wide));
    }

    [Fact]
    public void Its_restore_writes_cbaser_first_loads_the_tables_and_enables_last()
    {
        IReadOnlyList<KvmVgicV3Register> saved = KvmVgicItsState.Save(new FakeGic(), new FakeGic(seed: 3));
        var target = new FakeGic();

        KvmVgicItsState.Restore(target, saved);

        Assert.Equal(saved.Count + 1, target.Writes.Count);
        Assert.Equal(0x80UL, target.Writes[0].Attr);
        // The tables are loaded after every register but GITS_CTLR, which comes last.
        Assert.Equal((KvmArmVgic.GroupCtrl, KvmArmVgic.ItsCtrlRestoreTables), (target.Writes[^2].Group, target.Writes[^2].Attr));
        Assert.Equal((KvmArmVgic.GroupItsRegs, 0UL, saved[^1].Value), (target.Writes[^1].Group, target.Writes[^1].Attr, target.Writes[^1].Value));
        Assert.All(saved, r => Assert.Equal(r.Value, target.Registers[(r.Group, r.Attr)]));
    }

    [Fact]
    public void Its_restore_refuses_a_list_of_another_shape_before_writing()
    {
        IReadOnlyList<KvmVgicV3Register> saved = KvmVgicItsState.Save(new FakeGic(), new FakeGic(seed: 3));
        var target = new FakeGic();

        Assert.Throws<KvmVgicStateException>(() => KvmVgicItsState.Restore(target, saved.Take(12).ToList()));
        List<KvmVgicV3Register> swapped = [.. saved];
        (swapped[0], swapped[1]) = (swapped[1], swapped[0]);
        KvmVgicStateException e = Assert.Throws<KvmVgicStateException>(() => KvmVgicItsState.Restore(target, swapped));
        Assert.Contains("attr 0x4", e.Message, StringComparison.Ordinal);
        Assert.Empty(target.Writes);
    }

    private sealed class FakeGic(ulong seed = 0) : IKvmDeviceAttributeAccess
    {
        public Dictionary<(uint Group, ulong Attr), ulong> Registers { get; } = [];

        public List<(uint Group, ulong Attr, bool Wide)> Reads { get; } = [];

        public List<(uint Group, ulong Attr, ulong Value, bool Wide)> Writes { get; } = [];

        public void SetCtlr(ulong mpidr, ulong value)
            => Registers[(KvmArmVgic.GroupCpuSysregs, KvmArmVgic.SysregAttr(mpidr, KvmArmVgic.SysregInstruction(3, 0, 12, 12, 4)))] = value;

        public uint GetAttribute32(uint group, ulong attr) => (uint)Read(group, attr, wide: false);

        public ulong GetAttribute(uint group, ulong attr) => Read(group, attr, wide: true);

        public void SetAttribute32(uint group, ulong attr, uint value) => Write(group, attr, value, wide: false);

        public void SetAttribute(uint group, ulong attr, ulong value) => Write(group, attr, value, wide: true);

        public List<(uint Group, ulong Attr)> Controls { get; } = [];

        // A control action: recorded in Writes too (value 0, not wide), so the order shows.
        public void SetAttribute(uint group, ulong attr)
        {
            Controls.Add((group, attr));
            Writes.Add((group, attr, 0, false));
        }

        private ulong Read(uint group, ulong attr, bool wide)
        {
            Reads.Add((group, attr, wide));
            if (Registers.TryGetValue((group, attr), out ulong value))
            {
                return value;
            }
            ulong mixed = seed == 0 ? 0 : (attr ^ ((ulong)group << 56) ^ seed) * 0x9e37_79b9_7f4a_7c15;
            value = wide ? mixed : mixed & 0xffff_ffff;
            Registers[(group, attr)] = value;
            return value;
        }

        private void Write(uint group, ulong attr, ulong value, bool wide)
        {
            Writes.Add((group, attr, value, wide));
            Registers[(group, attr)] = value;
        }
    }
}
