namespace Vireo.Kvm;

/// <summary>
/// Saves an in-kernel ITS's state (<see cref="KvmDeviceType.ArmVgicIts"/>) and restores it into a
/// new ITS, for a snapshot of a machine whose PCI functions send MSIs
/// (Documentation/virt/kvm/devices/arm-vgic-its.rst). The ITS's tables (which device has which
/// interrupt translation table, each event's LPI and collection, each collection's vCPU) live in
/// guest RAM the guest gave it through GITS_BASER&lt;n&gt;; KVM caches them, so saving asks KVM to
/// write them back (KVM_DEV_ARM_ITS_SAVE_TABLES) and, first, the GIC to write every LPI's pending
/// bit into the pending tables (KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES). What remains are the
/// ITS's registers.
/// <para>Save before the guest's RAM is written out, with every vCPU stopped. Restore after the
/// RAM is back and the GIC's redistributors are restored (<see cref="KvmVgicV3State.Restore"/>
/// with LPIs), in the document's order: GITS_CBASER (a write resets GITS_CREADR), GITS_IIDR
/// (its revision is the tables' ABI, needed before they are read), the GITS_BASERs, GITS_CREADR
/// (else the commands already done run again), GITS_CWRITER, then KVM_DEV_ARM_ITS_RESTORE_TABLES,
/// and GITS_CTLR last, since it enables the ITS.</para>
/// </summary>
public static class KvmVgicItsState
{
    // ITS control frame registers (GICv3 spec, IHI 0069, the ITS register map).
    private const uint GitsCtlr = 0x0000;
    private const uint GitsIidr = 0x0004;
    private const uint GitsCbaser = 0x0080;
    private const uint GitsCwriter = 0x0088;
    private const uint GitsCreadr = 0x0090;
    private const uint GitsBaser = 0x0100;

    /// <summary>GITS_BASER0 to GITS_BASER7.</summary>
    private const int BaserCount = 8;

    /// <summary>The registers in restore order, GITS_CTLR last (written after the tables).</summary>
    private static readonly uint[] s_order =
    [
        GitsCbaser, GitsIidr,
        .. Enumerable.Range(0, BaserCount).Select(n => GitsBaser + (uint)(8 * n)),
        GitsCreadr, GitsCwriter, GitsCtlr,
    ];

    /// <summary>Flushes the LPIs' pending bits (<paramref name="gic"/>) and the ITS's tables
    /// (<paramref name="its"/>) into guest RAM, then reads the ITS's registers, in the order
    /// <see cref="Restore"/> writes them.</summary>
    public static IReadOnlyList<KvmVgicV3Register> Save(IKvmDeviceAttributeAccess gic, IKvmDeviceAttributeAccess its)
    {
        ArgumentNullException.ThrowIfNull(gic);
        ArgumentNullException.ThrowIfNull(its);
        gic.SetAttribute(KvmArmVgic.GroupCtrl, KvmArmVgic.CtrlSavePendingTables);
        its.SetAttribute(KvmArmVgic.GroupCtrl, KvmArmVgic.ItsCtrlSaveTables);
        return [.. s_order.Select(offset => new KvmVgicV3Register(KvmArmVgic.GroupItsRegs, offset, its.GetAttribute(KvmArmVgic.GroupItsRegs, offset)))];
    }

    /// <summary>Writes <paramref name="registers"/> (from <see cref="Save"/>) into <paramref name="its"/>,
    /// a new ITS at the same address, and loads its tables from guest RAM. A list that is not
    /// exactly what <see cref="Save"/> makes is refused with <see cref="KvmVgicStateException"/>
    /// before anything is written.</summary>
    public static void Restore(IKvmDeviceAttributeAccess its, IReadOnlyList<KvmVgicV3Register> registers)
    {
        ArgumentNullException.ThrowIfNull(its);
        ArgumentNullException.ThrowIfNull(registers);
        if (registers.Count != s_order.Length)
        {
            throw new KvmVgicStateException($"the saved ITS state has {registers.Count} registers, where an ITS has {s_order.Length}");
        }
        for (int i = 0; i < s_order.Length; i++)
        {
            if (registers[i].Group != KvmArmVgic.GroupItsRegs || registers[i].Attr != s_order[i])
            {
                throw new KvmVgicStateException(
                    $"saved ITS register {i} is group {registers[i].Group}, attr 0x{registers[i].Attr:x}, where the ITS has group {KvmArmVgic.GroupItsRegs}, attr 0x{s_order[i]:x}");
            }
        }
        for (int i = 0; i < s_order.Length - 1; i++)
        {
            its.SetAttribute(KvmArmVgic.GroupItsRegs, s_order[i], registers[i].Value);
        }
        its.SetAttribute(KvmArmVgic.GroupCtrl, KvmArmVgic.ItsCtrlRestoreTables);
        its.SetAttribute(KvmArmVgic.GroupItsRegs, GitsCtlr, registers[^1].Value);
    }
}
