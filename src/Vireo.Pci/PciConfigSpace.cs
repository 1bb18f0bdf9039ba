using System.Buffers.Binary;

namespace Vireo.Pci;

/// <summary>
/// Emulated PCI configuration space: registers plus per-bit write masks (writable and
/// write-1-to-clear), like cloud-hypervisor's PciConfiguration. Offsets and bits cite the PCI
/// Local Bus Specification 3.0 §6.2 (type 0 header) and §6.7 (capabilities).
/// </summary>
public sealed class PciConfigSpace
{
    /// <summary>Size of conventional PCI config space (PCI 3.0 §6.1).</summary>
    public const int StandardSize = 256;
    /// <summary>Size of PCI Express extended config space, 4 KiB per function (PCIe Base Specification §7.2).</summary>
    public const int ExtendedSize = 4096;

    // PCI 3.0 §6.2: header offsets.
    /// <summary>Vendor ID, then Device ID at 0x02.</summary>
    public const int VendorIdOffset = 0x00;
    /// <summary>The Command register (PCI 3.0 §6.2.2).</summary>
    public const int CommandOffset = 0x04;
    /// <summary>The Status register (PCI 3.0 §6.2.3).</summary>
    public const int StatusOffset = 0x06;
    /// <summary>BAR 0; the six BARs follow at 4-byte steps (PCI 3.0 §6.2.5.1).</summary>
    public const int BarOffset = 0x10;
    /// <summary>Subsystem Vendor ID, then Subsystem ID at 0x2E.</summary>
    public const int SubsystemVendorOffset = 0x2c;
    /// <summary>The Capabilities Pointer, the head of the capability list (PCI 3.0 §6.7).</summary>
    public const int CapabilityPointerOffset = 0x34;
    /// <summary>Interrupt Line, a scratch byte the guest writes (PCI 3.0 §6.2.4).</summary>
    public const int InterruptLineOffset = 0x3c;
    /// <summary>Interrupt Pin, read-only: 0 for none, 1 to 4 for INTA# to INTD# (PCI 3.0 §6.2.4).</summary>
    public const int InterruptPinOffset = 0x3d;

    // PCI 3.0 §6.2.2 Command: I/O, memory, bus master, parity, SERR#, INTx disable.
    /// <summary>The Command bits the guest may change: I/O and memory space, bus master, parity error response, SERR# and INTx disable.</summary>
    public const ushort CommandWritable = 0x0547;
    /// <summary>Command bit 2, Bus Master Enable: without it the function must not reach memory (DMA, MSI).</summary>
    public const ushort CommandBusMaster = 0x0004;
    /// <summary>Command bit 10, Interrupt Disable: the function must not assert INTx.</summary>
    public const ushort CommandIntxDisable = 0x0400;

    // PCI 3.0 §6.2.3 Status: capabilities list (bit 4); error bits 8, 11-15 are RW1C.
    private const ushort StatusCapabilityList = 0x0010;
    private const ushort StatusWriteOneToClear = 0xf900;

    // PCI 3.0 §6.7 capability IDs; PCI PM 1.2 §3.2; PCI 3.0 §6.8.1 (MSI), §6.8.2 (MSI-X).
    /// <summary>Capability ID of PCI Power Management (PCI PM 1.2 §3.2.1).</summary>
    public const byte PowerManagementCapabilityId = 0x01;
    /// <summary>Capability ID of MSI (PCI 3.0 §6.8.1).</summary>
    public const byte MsiCapabilityId = 0x05;
    /// <summary>Capability ID of MSI-X (PCI 3.0 §6.8.2).</summary>
    public const byte MsixCapabilityId = 0x11;
    private const int FirstCapabilityOffset = 0x40;

    private readonly byte[] _registers;
    private readonly byte[] _writable;
    private readonly byte[] _clearOnWrite;
    private byte[] _defaults = [];
    private int _nextCapability = FirstCapabilityOffset;
    private byte _lastCapability;

    /// <summary>A type 0 header with the given IDs, the standard writable bits and no capabilities, sealed as its reset state.</summary>
    /// <param name="vendorId">The Vendor ID.</param>
    /// <param name="deviceId">The Device ID.</param>
    /// <param name="classCode">The 24-bit class code: base class, sub-class and programming interface, high byte first.</param>
    /// <param name="revision">The Revision ID.</param>
    /// <param name="subsystemVendorId">The Subsystem Vendor ID.</param>
    /// <param name="subsystemId">The Subsystem ID.</param>
    /// <param name="size"><see cref="StandardSize"/> or <see cref="ExtendedSize"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is neither.</exception>
    public PciConfigSpace(ushort vendorId, ushort deviceId, uint classCode, byte revision = 0, ushort subsystemVendorId = 0, ushort subsystemId = 0, int size = StandardSize)
    {
        if (size is not (StandardSize or ExtendedSize))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "config space is 256 or 4096 bytes");
        }
        _registers = new byte[size];
        _writable = new byte[size];
        _clearOnWrite = new byte[size];
        U16(VendorIdOffset, vendorId);
        U16(0x02, deviceId);
        _registers[0x08] = revision;
        _registers[0x09] = (byte)classCode;
        _registers[0x0a] = (byte)(classCode >> 8);
        _registers[0x0b] = (byte)(classCode >> 16);
        U16(SubsystemVendorOffset, subsystemVendorId);
        U16(0x2e, subsystemId);
        Mask16(CommandOffset, CommandWritable);
        BinaryPrimitives.WriteUInt16LittleEndian(_clearOnWrite.AsSpan(StatusOffset), StatusWriteOneToClear);
        _writable[0x0c] = 0xff; // cache line size
        _writable[0x0d] = 0xff; // latency timer
        _writable[InterruptLineOffset] = 0xff;
        Seal();
    }

    /// <summary>The config space size in bytes.</summary>
    public int Size => _registers.Length;

    /// <summary>Where the PM capability starts; 0 when there is none.</summary>
    public int PowerManagementOffset { get; private set; }

    /// <summary>Where the MSI capability starts; 0 when there is none.</summary>
    public int MsiOffset { get; private set; }

    /// <summary>Where the MSI-X capability starts; 0 when there is none.</summary>
    public int MsixOffset { get; private set; }

    /// <summary>The MSI vectors the function asks for (Multiple Message Capable); 0 without MSI.</summary>
    public int MsiVectors { get; private set; }

    /// <summary>The MSI-X table size; 0 without MSI-X.</summary>
    public int MsixVectors { get; private set; }

    /// <summary>The Command register as the guest left it.</summary>
    public ushort Command => ReadU16(CommandOffset);

    /// <summary>Whether the guest set Interrupt Disable, so INTx must stay deasserted.</summary>
    public bool IntxDisabled => (Command & CommandIntxDisable) != 0;

    /// <summary>True while the guest lets the function master the bus (DMA and MSI writes).</summary>
    public bool BusMasterEnabled => (Command & CommandBusMaster) != 0;

    /// <summary>PMCSR power state, D0 when there is no PM capability.</summary>
    public PciPowerState PowerState => PowerManagementOffset == 0 ? PciPowerState.D0 : (PciPowerState)(ReadU16(PowerManagementOffset + 4) & 3);

    /// <summary>MSI Enable in the MSI capability's Message Control (PCI 3.0 §6.8.1.3).</summary>
    public bool MsiEnabled => MsiOffset != 0 && (ReadU16(MsiOffset + 2) & 1) != 0;

    /// <summary>MSI-X Enable in the MSI-X capability's Message Control (PCI 3.0 §6.8.2.3).</summary>
    public bool MsixEnabled => MsixOffset != 0 && (ReadU16(MsixOffset + 2) & 0x8000) != 0;

    /// <summary>Function Mask in the MSI-X capability's Message Control: every vector masked (PCI 3.0 §6.8.2.3).</summary>
    public bool MsixFunctionMasked => MsixOffset != 0 && (ReadU16(MsixOffset + 2) & 0x4000) != 0;

    /// <summary>MSI Multiple Message Enable: vectors the guest granted (PCI 3.0 §6.8.1.3).</summary>
    public int MsiEnabledVectors => MsiOffset == 0 ? 0 : 1 << ((ReadU16(MsiOffset + 2) >> 4) & 7);

    /// <summary>Reads a little-endian 16-bit register.</summary>
    public ushort ReadU16(int offset) => BinaryPrimitives.ReadUInt16LittleEndian(_registers.AsSpan(offset));

    /// <summary>Reads a little-endian 32-bit register.</summary>
    public uint ReadU32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(_registers.AsSpan(offset));

    /// <summary>A guest read of any width.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The access does not lie inside the config space.</exception>
    public void Read(int offset, Span<byte> destination) => _registers.AsSpan(CheckRange(offset, destination.Length), destination.Length).CopyTo(destination);

    /// <summary>A guest write: only writable bits change; RW1C bits clear where 1 is written.</summary>
    public void Write(int offset, ReadOnlySpan<byte> source)
    {
        CheckRange(offset, source.Length);
        for (int i = 0; i < source.Length; i++)
        {
            int at = offset + i;
            byte value = source[i];
            byte kept = (byte)(_registers[at] & ~_writable[at]);
            byte current = (byte)(kept | (value & _writable[at]));
            current &= (byte)~(value & _clearOnWrite[at]);
            _registers[at] = current;
        }
    }

    /// <summary>Sets a register directly (device-side, not masked).</summary>
    public void SetU16(int offset, ushort value) => U16(offset, value);

    /// <summary>Sets a 32-bit register directly (device-side, not masked).</summary>
    public void SetU32(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_registers.AsSpan(CheckRange(offset, 4)), value);

    /// <summary>Declares BAR <paramref name="index"/>: type bits read back, address bits above the
    /// size writable, so the guest's all-ones sizing write reads back the size (PCI 3.0 §6.2.5.1).</summary>
    public void SetBar(int index, PciBar bar)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)index, 5u, nameof(index));
        int offset = BarOffset + (index * 4);
        uint typeBits = (bar.Is64Bit ? 0x4u : 0) | (bar.Prefetchable ? 0x8u : 0);
        ulong mask = ~(bar.Size - 1) & ~0xfUL;
        SetU32(offset, typeBits);
        BinaryPrimitives.WriteUInt32LittleEndian(_writable.AsSpan(offset), (uint)mask);
        if (bar.Is64Bit)
        {
            if (index == 5)
            {
                throw new ArgumentException("a 64-bit BAR needs two slots", nameof(index));
            }
            BinaryPrimitives.WriteUInt32LittleEndian(_writable.AsSpan(offset + 4), (uint)(mask >> 32));
        }
        Seal();
    }

    /// <summary>Sets Interrupt Pin (1 to 4 for INTA# to INTD#) and seals it into the reset state.</summary>
    public void SetInterruptPin(byte pin)
    {
        _registers[InterruptPinOffset] = pin;
        Seal();
    }

    /// <summary>PCI PM 1.2 §3.2: PMC version 3 (1.2), no D1/D2, PMCSR with PowerState writable,
    /// No_Soft_Reset set (D3hot to D0 keeps state), PME_En writable, PME_Status RW1C.</summary>
    /// <param name="pmeSupport">PMC PME_Support: the states the function can signal a wake
    /// from (none by default); D1 and D2 are refused, as the function does not offer them.</param>
    /// <exception cref="ArgumentException"><paramref name="pmeSupport"/> names D1, D2 or bits outside 15:11.</exception>
    public int AddPowerManagement(PciPmeSupport pmeSupport = PciPmeSupport.None)
    {
        if ((pmeSupport & ~(PciPmeSupport.D0 | PciPmeSupport.D3Hot | PciPmeSupport.D3Cold)) != 0)
        {
            throw new ArgumentException($"PME_Support {(ushort)pmeSupport:x4}: only D0, D3hot and D3cold are offered", nameof(pmeSupport));
        }
        const ushort version12 = 0x0003;
        const ushort noSoftReset = 0x0008;
        int offset = AddCapability(PowerManagementCapabilityId, 8);
        U16(offset + 2, (ushort)(version12 | (ushort)pmeSupport));
        U16(offset + 4, noSoftReset);
        Mask16(offset + 4, 0x0103);
        BinaryPrimitives.WriteUInt16LittleEndian(_clearOnWrite.AsSpan(offset + 4), 0x8000);
        PowerManagementOffset = offset;
        Seal();
        return offset;
    }

    /// <summary>PCI 3.0 §6.8.1: 64-bit MSI with per-vector masking; <paramref name="vectors"/> is a
    /// power of two up to 32.</summary>
    public int AddMsi(int vectors)
    {
        if (vectors is < 1 or > 32 || !int.IsPow2(vectors))
        {
            throw new ArgumentOutOfRangeException(nameof(vectors), vectors, "MSI vectors are a power of two, 1 to 32");
        }
        int offset = AddCapability(MsiCapabilityId, 24);
        ushort control = (ushort)((int.Log2(vectors) << 1) | 0x0080 | 0x0100);
        U16(offset + 2, control);
        Mask16(offset + 2, 0x0071);
        Mask32(offset + 4, 0xffff_fffc);
        Mask32(offset + 8, 0xffff_ffff);
        Mask16(offset + 12, 0xffff);
        Mask32(offset + 16, vectors == 32 ? uint.MaxValue : (1u << vectors) - 1);
        MsiOffset = offset;
        MsiVectors = vectors;
        Seal();
        return offset;
    }

    /// <summary>PCI 3.0 §6.8.2: MSI-X with its table and PBA in BARs; table size N-1 read-only,
    /// Function Mask (bit 14) and Enable (bit 15) writable.</summary>
    public int AddMsix(int vectors, int tableBar, uint tableOffset, int pbaBar, uint pbaOffset)
    {
        if (vectors is < 1 or > 2048)
        {
            throw new ArgumentOutOfRangeException(nameof(vectors), vectors, "MSI-X has 1 to 2048 vectors");
        }
        if ((tableOffset & 7) != 0 || (pbaOffset & 7) != 0)
        {
            throw new ArgumentException("MSI-X table and PBA offsets are 8-byte aligned");
        }
        int offset = AddCapability(MsixCapabilityId, 12);
        U16(offset + 2, (ushort)(vectors - 1));
        Mask16(offset + 2, 0xc000);
        SetU32(offset + 4, tableOffset | (uint)tableBar);
        SetU32(offset + 8, pbaOffset | (uint)pbaBar);
        MsixOffset = offset;
        MsixVectors = vectors;
        Seal();
        return offset;
    }

    /// <summary>Adds a capability of <paramref name="length"/> bytes to the list and returns its
    /// offset; the caller fills the body and masks.</summary>
    public int AddCapability(byte id, int length)
    {
        int offset = _nextCapability;
        if (length < 2 || offset + length > StandardSize)
        {
            throw new InvalidOperationException("no room for the capability in the first 256 bytes");
        }
        _registers[offset] = id;
        _registers[offset + 1] = 0;
        if (_lastCapability == 0)
        {
            _registers[CapabilityPointerOffset] = (byte)offset;
        }
        else
        {
            _registers[_lastCapability + 1] = (byte)offset;
        }
        _lastCapability = (byte)offset;
        _nextCapability = (offset + length + 3) & ~3;
        U16(StatusOffset, (ushort)(ReadU16(StatusOffset) | StatusCapabilityList));
        return offset;
    }

    /// <summary>Makes the current registers the reset values.</summary>
    public void Seal() => _defaults = (byte[])_registers.Clone();

    /// <summary>Function-level reset: everything back to the sealed values except the BARs,
    /// which the VMM programs and would otherwise have to restore.</summary>
    public void Reset()
    {
        Span<byte> bars = stackalloc byte[24];
        _registers.AsSpan(BarOffset, 24).CopyTo(bars);
        _defaults.CopyTo(_registers, 0);
        bars.CopyTo(_registers.AsSpan(BarOffset));
    }

    /// <summary>A copy of every register, for <see cref="Restore"/>.</summary>
    public byte[] Snapshot() => (byte[])_registers.Clone();

    /// <summary>Puts back registers from <see cref="Snapshot"/>; masks and the reset state are the device's own and stay.</summary>
    /// <exception cref="ArgumentException">The snapshot's size differs from <see cref="Size"/>.</exception>
    public void Restore(ReadOnlySpan<byte> registers)
    {
        if (registers.Length != _registers.Length)
        {
            throw new ArgumentException("config snapshot size differs", nameof(registers));
        }
        registers.CopyTo(_registers);
    }

    private int CheckRange(int offset, int length)
    {
        if (offset < 0 || length < 0 || offset > _registers.Length - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"config access of {length} bytes outside {_registers.Length}");
        }
        return offset;
    }

    private void U16(int offset, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(_registers.AsSpan(offset), value);

    private void Mask16(int offset, ushort mask) => BinaryPrimitives.WriteUInt16LittleEndian(_writable.AsSpan(offset), mask);

    private void Mask32(int offset, uint mask) => BinaryPrimitives.WriteUInt32LittleEndian(_writable.AsSpan(offset), mask);
}
