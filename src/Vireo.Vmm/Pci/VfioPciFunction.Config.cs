using System.Buffers.Binary;
using Vireo.Pci;
using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.Vmm;

// Config space: forwarded to the server's config region, with the registers the VMM owns
// shadowed here, the bytes only the VMM has (a virtual PM capability), and the interrupt wiring
// that follows the guest's writes.
public sealed partial class VfioPciFunction
{
    // PCI 3.0 §6.2.2: Command bits a guest may set here: I/O, memory, bus master, parity error
    // response, SERR#, Interrupt Disable.
    private const ushort CommandWritable = PciConfigSpace.CommandWritable;
    private const ushort StatusCapabilityList = 0x0010;
    private const int FirstCapability = 0x40;
    // PCI 3.0 §6.8.2.3 MSI-X Message Control: bit 15 Enable, bit 14 Function Mask, 10:0 Table Size - 1.
    private const ushort MsixEnable = 0x8000;
    private const ushort MsixFunctionMask = 0x4000;
    private const int MsixCapabilityLength = 12;
    // PCI 3.0 §6.8.1.3 MSI Message Control: bit 0 Enable, 3:1 Multiple Message Capable, 6:4
    // Multiple Message Enable, bit 7 64-bit address, bit 8 per-vector masking.
    private const ushort MsiEnable = 0x0001;
    private const ushort Msi64Bit = 0x0080;
    private const ushort MsiPerVectorMask = 0x0100;

    // The shadow: the bytes the VMM answers itself, which of them the guest may write, and their
    // reset values. Virtual bytes are shadowed bytes the device does not have: they are never
    // read from it and the guest's writes to them are not forwarded. Bits set in _readAsOne read
    // 1 over what the device says (a per-bit overlay on bytes the device otherwise answers).
    private byte[] _shadow = [];
    private byte[] _shadowWritable = [];
    private bool[] _shadowed = [];
    private bool[] _virtual = [];
    private byte[] _readAsOne = [];
    private byte[] _shadowReset = [];
    private byte _deviceCapabilityPointer;
    private bool _hasIntx;
    private MsixLayout? _msixLayout;
    private MsiLayout? _msiLayout;
    private MsixTable? _msixTable;

    // What is wired now (while bound): the VMM's vector objects and what the server was told.
    private EventFd[] _msixTriggers = [];
    private EventFd[] _msiTriggers = [];
    private volatile MsixVectors? _msix;
    private MsiVectors? _msi;
    private IntxResampleLine? _intx;
    private bool _msixAtServer;
    private bool _msiAtServer;
    private bool _intxAtServer;
    private bool _intxMaskedAtServer;

    /// <inheritdoc/>
    /// <remarks>Read without the config lock, so the API never waits behind a vCPU's config
    /// access to a slow server; a write racing with it shows either mode.</remarks>
    public string InterruptMode => MsixEnabled ? "msix" : MsiEnabled ? "msi" : _hasIntx && !IntxDisabled ? "intx" : "none";

    private ushort ShadowU16(int offset) => BinaryPrimitives.ReadUInt16LittleEndian(_shadow.AsSpan(offset));

    private uint ShadowU32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(_shadow.AsSpan(offset));

    private bool IntxDisabled => (ShadowU16(PciConfigSpace.CommandOffset) & PciConfigSpace.CommandIntxDisable) != 0;

    private bool MsixEnabled => _msixLayout is { } m && (ShadowU16(m.Offset + 2) & MsixEnable) != 0;

    private bool MsixFunctionMasked => _msixLayout is { } m && (ShadowU16(m.Offset + 2) & MsixFunctionMask) != 0;

    private bool MsiEnabled => _msiLayout is { } m && (ShadowU16(m.Offset + 2) & MsiEnable) != 0;

    /// <inheritdoc/>
    public void ReadConfig(int offset, Span<byte> data)
    {
        if (!IsAlive || offset < 0 || data.Length > 4 || offset + data.Length > ConfigSize)
        {
            data.Fill(0xff);
            return;
        }
        bool anyShadowed = false;
        bool allShadowed = true;
        for (int i = 0; i < data.Length; i++)
        {
            bool shadowed = _shadowed[offset + i];
            anyShadowed |= shadowed;
            allShadowed &= shadowed;
        }
        if (!allShadowed)
        {
            try
            {
                // Only the runs of bytes the device has (the whole access, in one read, without virtual bytes).
                for (int end = 0; NextDeviceRun(offset, data.Length, ref end, out int start);)
                {
                    _device.ReadRegion(VfioRegionIndex.Config, (ulong)(offset + start), data[start..end]);
                }
            }
            catch (Exception e) when (IsDeviceFailure(e))
            {
                if (IsConnectionFailure(e))
                {
                    Lose(e);
                }
                data.Fill(0xff);
                return;
            }
            for (int i = 0; i < data.Length; i++)
            {
                data[i] |= _readAsOne[offset + i];
            }
        }
        if (!anyShadowed)
        {
            return;
        }
        lock (_gate)
        {
            if (_msiLayout is { } msi && msi.PendingOffset != 0 && Overlaps((ulong)offset, (ulong)data.Length, (ulong)msi.PendingOffset, 4))
            {
                BinaryPrimitives.WriteUInt32LittleEndian(_shadow.AsSpan(msi.PendingOffset), _msi?.PendingBits ?? 0);
            }
            for (int i = 0; i < data.Length; i++)
            {
                if (_shadowed[offset + i])
                {
                    data[i] = _shadow[offset + i];
                }
            }
        }
    }

    /// <inheritdoc/>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        if (!IsAlive || offset < 0 || data.Length is not (1 or 2 or 4) || offset + data.Length > ConfigSize)
        {
            return;
        }
        lock (_gate)
        {
            Span<byte> forward = stackalloc byte[4];
            forward = forward[..data.Length];
            data.CopyTo(forward);
            bool shadowTouched = false;
            for (int i = 0; i < data.Length; i++)
            {
                int at = offset + i;
                if (_virtual[at])
                {
                    WriteVirtual(at, data[i]);
                }
                else if (_shadowed[at])
                {
                    byte writable = _shadowWritable[at];
                    _shadow[at] = (byte)((_shadow[at] & ~writable) | (data[i] & writable));
                    forward[i] = ServerView(at);
                    shadowTouched = true;
                }
            }
            try
            {
                // The device sees every write to its own bytes (its own Command bits, whether
                // MSI-X is on), in the form the VMM decides for the bytes it shadows; the bytes
                // only the VMM has are left out.
                for (int end = 0; NextDeviceRun(offset, data.Length, ref end, out int start);)
                {
                    _device.WriteRegion(VfioRegionIndex.Config, (ulong)(offset + start), forward[start..end]);
                }
                if (shadowTouched && _host is not null)
                {
                    ApplyInterrupts();
                }
            }
            catch (Exception e) when (IsDeviceFailure(e) || e is VireoException)
            {
                // A refused request leaves the device as it was; anything else (the server gone,
                // KVM refusing a route) and the device cannot work any more.
                if (e is not VfioUserException { IsErrorReply: true })
                {
                    Lose(e);
                }
            }
        }
    }

    /// <summary>The next run of an access's bytes that the device has (not the VMM's virtual
    /// ones), searched from <paramref name="end"/> on: <c>[start, end)</c> relative to
    /// <paramref name="offset"/>; false when none is left. Without virtual bytes the whole access
    /// is one run.</summary>
    private bool NextDeviceRun(int offset, int length, ref int end, out int start)
    {
        while (end < length && _virtual[offset + end])
        {
            end++;
        }
        start = end;
        while (end < length && !_virtual[offset + end])
        {
            end++;
        }
        return end > start;
    }

    /// <summary>What the server is told a shadowed byte holds: the guest's value, except that
    /// masking is the VMM's (MSI-X Function Mask and MSI mask bits read 0 there), so a vector the
    /// guest masked is held, and reported pending, by the VMM alone.</summary>
    private byte ServerView(int at)
    {
        if (at == PciConfigSpace.CapabilityPointerOffset)
        {
            // Read-only at the device: it is given back its own value.
            return _deviceCapabilityPointer;
        }
        byte value = _shadow[at];
        if (_msixLayout is { } x && at == x.Offset + 3)
        {
            return (byte)(value & ~(MsixFunctionMask >> 8));
        }
        if (_msiLayout is { } m && m.MaskOffset != 0 && at >= m.MaskOffset && at < m.MaskOffset + 4)
        {
            return 0;
        }
        return value;
    }

    /// <summary>Brings the VMM's vectors and the device's IRQ wiring to what the shadow says:
    /// MSI-X or MSI when enabled, INTx when neither is (PCI 3.0 §6.8: enabling MSI or MSI-X
    /// disables INTx), INTx masked at the device while Interrupt Disable is set. The modes going
    /// off are disabled at the device before the one coming on is enabled: kernel VFIO refuses
    /// (EINVAL) to enable one IRQ index while another is live.</summary>
    private void ApplyInterrupts()
    {
        bool msix = MsixEnabled;
        bool msi = MsiEnabled;
        _msix?.SetControl(msix, MsixFunctionMasked);
        if (_msi is MsiVectors messages && _msiLayout is { } m)
        {
            ushort control = ShadowU16(m.Offset + 2);
            int allocated = Math.Min(1 << ((control >> 4) & 7), messages.Vectors);
            ulong address = ShadowU32(m.Offset + 4) | (m.Is64Bit ? (ulong)ShadowU32(m.Offset + 8) << 32 : 0);
            uint data = ShadowU16(m.DataOffset);
            messages.SetMessage(msi, allocated, address, data);
            messages.SetMaskBits(m.MaskOffset != 0 ? ShadowU32(m.MaskOffset) : 0);
        }
        bool wantMsix = msix && _msix is not null;
        bool wantMsi = msi && _msi is not null && _msiLayout is not null;
        bool wantIntx = !msix && !msi && _intx is not null;

        // Off first.
        if (_msixAtServer && !wantMsix)
        {
            _device.DisableIrqs(VfioIrqIndex.Msix);
            _msixAtServer = false;
        }
        if (_msiAtServer && !wantMsi)
        {
            _device.DisableIrqs(VfioIrqIndex.Msi);
            _msiAtServer = false;
        }
        if (_intxAtServer && !wantIntx)
        {
            _device.DisableIrqs(VfioIrqIndex.Intx);
            _intxAtServer = false;
            _intxMaskedAtServer = false;
        }

        // Then on.
        if (wantMsix && !_msixAtServer)
        {
            _device.SetIrqEventFds(VfioIrqIndex.Msix, 0, _msixTriggers);
            _msixAtServer = true;
        }
        if (wantMsi && !_msiAtServer)
        {
            _device.SetIrqEventFds(VfioIrqIndex.Msi, 0, _msiTriggers);
            _msiAtServer = true;
        }
        if (_intx is IntxResampleLine line)
        {
            if (wantIntx && !_intxAtServer)
            {
                _device.SetIrqEventFds(VfioIrqIndex.Intx, 0, [line.Trigger]);
                _device.SetIrqUnmaskEventFd(VfioIrqIndex.Intx, line.Resample);
                _intxAtServer = true;
                _intxMaskedAtServer = false;
            }
            bool masked = wantIntx && IntxDisabled;
            if (wantIntx && masked != _intxMaskedAtServer)
            {
                if (masked)
                {
                    _device.MaskIrq(VfioIrqIndex.Intx);
                }
                else
                {
                    _device.UnmaskIrq(VfioIrqIndex.Intx);
                }
                _intxMaskedAtServer = masked;
            }
        }
    }

    /// <summary>Finds MSI and MSI-X in the server's capability list (PCI 3.0 §6.7) and checks
    /// them against its IRQ counts and BARs; returns every capability, in list order.</summary>
    private List<(int Offset, byte Id)> WalkCapabilities(byte[] header, uint msiCount, uint msixCount)
    {
        var capabilities = new List<(int Offset, byte Id)>();
        if ((BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(PciConfigSpace.StatusOffset)) & StatusCapabilityList) == 0)
        {
            return capabilities;
        }
        var seen = new HashSet<int>();
        int at = header[PciConfigSpace.CapabilityPointerOffset] & 0xfc;
        while (at != 0)
        {
            if (at < FirstCapability || at > PciConfigSpace.StandardSize - 4)
            {
                throw Bad($"has a capability pointer 0x{at:x} outside 0x40-0xfc");
            }
            if (!seen.Add(at))
            {
                throw Bad($"has a capability list that loops back to 0x{at:x}");
            }
            capabilities.Add((at, header[at]));
            switch (header[at])
            {
                case PciConfigSpace.MsiCapabilityId:
                    if (_msiLayout is not null)
                    {
                        throw Bad("has two MSI capabilities");
                    }
                    _msiLayout = ReadMsi(header, at, msiCount);
                    break;
                case PciConfigSpace.MsixCapabilityId:
                    if (_msixLayout is not null)
                    {
                        throw Bad("has two MSI-X capabilities");
                    }
                    _msixLayout = ReadMsix(header, at, msixCount);
                    break;
            }
            at = header[at + 1] & 0xfc;
        }
        return capabilities;
    }

    /// <summary>PCI 3.0 §6.8.1: an MSI capability is 10, 14, 20 or 24 bytes, as its Message
    /// Control says (64-bit address, per-vector masking).</summary>
    private static int MsiLength(ushort control) => 10 + ((control & Msi64Bit) != 0 ? 4 : 0) + ((control & MsiPerVectorMask) != 0 ? 10 : 0);

    private MsiLayout ReadMsi(byte[] header, int at, uint irqCount)
    {
        ushort control = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(at + 2));
        int capable = (control >> 1) & 7;
        if (capable > 5)
        {
            throw Bad($"has an MSI capability with the reserved Multiple Message Capable {capable}");
        }
        int vectors = 1 << capable;
        bool is64 = (control & Msi64Bit) != 0;
        bool maskable = (control & MsiPerVectorMask) != 0;
        int length = MsiLength(control);
        if (at + length > PciConfigSpace.StandardSize)
        {
            throw Bad($"has an MSI capability at 0x{at:x} that runs past the header");
        }
        if (irqCount < vectors)
        {
            throw Bad($"has an MSI capability with {vectors} messages but {irqCount} MSI IRQs");
        }
        int data = at + (is64 ? 12 : 8);
        return new MsiLayout(at, length, vectors, is64, data, maskable ? data + 4 : 0, maskable ? data + 8 : 0);
    }

    private MsixLayout ReadMsix(byte[] header, int at, uint irqCount)
    {
        if (at + MsixCapabilityLength > PciConfigSpace.StandardSize)
        {
            throw Bad($"has an MSI-X capability at 0x{at:x} that runs past the header");
        }
        int vectors = (BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(at + 2)) & 0x7ff) + 1;
        uint table = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(at + 4));
        uint pba = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(at + 8));
        var layout = new MsixLayout(at, vectors, (int)(table & 7), table & ~7u, (int)(pba & 7), pba & ~7u);
        if (irqCount < vectors)
        {
            throw Bad($"has an MSI-X table of {vectors} vectors but {irqCount} MSI-X IRQs");
        }
        CheckInBar("MSI-X table", layout.TableBar, layout.TableOffset, (ulong)layout.TableLength);
        CheckInBar("MSI-X PBA", layout.PbaBar, layout.PbaOffset, (ulong)layout.PbaLength);
        if (layout.TableBar == layout.PbaBar && Overlaps(layout.TableOffset, (ulong)layout.TableLength, layout.PbaOffset, (ulong)layout.PbaLength))
        {
            throw Bad("has an MSI-X table and PBA that overlap");
        }
        _msixTable = new MsixTable(vectors);
        return layout;
    }

    private void CheckInBar(string what, int bar, ulong offset, ulong length)
    {
        if (bar >= BarCount || _regions[bar] is not BarRegion region || region.Kind == PciBarKind.Io)
        {
            throw Bad($"puts its {what} in BAR{bar}, which is not a memory BAR");
        }
        if (offset > region.Size || length > region.Size - offset)
        {
            throw Bad($"puts its {what} at BAR{bar} 0x{offset:x}+0x{length:x}, outside the BAR's 0x{region.Size:x} bytes");
        }
    }

    /// <summary>Copies what the VMM shadows out of the server's header, in its reset state.</summary>
    private void InitShadow(byte[] header)
    {
        _shadow = new byte[ConfigSize];
        _shadowWritable = new byte[ConfigSize];
        _shadowed = new bool[ConfigSize];
        _virtual = new bool[ConfigSize];
        _readAsOne = new byte[ConfigSize];
        Shadow(PciConfigSpace.CommandOffset, 2, header);
        _shadow[PciConfigSpace.CommandOffset] = 0;
        _shadow[PciConfigSpace.CommandOffset + 1] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(_shadowWritable.AsSpan(PciConfigSpace.CommandOffset), CommandWritable);
        // Only INTA# is routed for the slot (PciFunctionHost.IntxGsi), so that is the pin reported.
        Shadow(PciConfigSpace.InterruptPinOffset, 1, header);
        _shadow[PciConfigSpace.InterruptPinOffset] = _hasIntx ? (byte)1 : (byte)0;
        if (_msixLayout is { } x)
        {
            Shadow(x.Offset, MsixCapabilityLength, header);
            _shadow[x.Offset + 3] &= 0x3f;
            _shadowWritable[x.Offset + 3] = (MsixEnable | MsixFunctionMask) >> 8;
        }
        if (_msiLayout is { } m)
        {
            Shadow(m.Offset, m.Length, header);
            BinaryPrimitives.WriteUInt16LittleEndian(_shadow.AsSpan(m.Offset + 2), (ushort)(ShadowU16(m.Offset + 2) & ~0x0071));
            BinaryPrimitives.WriteUInt16LittleEndian(_shadowWritable.AsSpan(m.Offset + 2), 0x0071);
            BinaryPrimitives.WriteUInt32LittleEndian(_shadowWritable.AsSpan(m.Offset + 4), 0xffff_fffc);
            if (m.Is64Bit)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(_shadowWritable.AsSpan(m.Offset + 8), 0xffff_ffff);
            }
            BinaryPrimitives.WriteUInt16LittleEndian(_shadowWritable.AsSpan(m.DataOffset), 0xffff);
            for (int i = m.Offset + 4; i < m.DataOffset + 2; i++)
            {
                _shadow[i] = 0;
            }
            if (m.MaskOffset != 0)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(_shadow.AsSpan(m.MaskOffset), 0);
                BinaryPrimitives.WriteUInt32LittleEndian(_shadowWritable.AsSpan(m.MaskOffset), m.Vectors == 32 ? uint.MaxValue : (1u << m.Vectors) - 1);
                BinaryPrimitives.WriteUInt32LittleEndian(_shadow.AsSpan(m.PendingOffset), 0);
            }
        }
        if (VirtualPowerManagementOffset != 0)
        {
            ShadowVirtualPowerManagement(header);
        }
        _shadowReset = (byte[])_shadow.Clone();
    }

    private void Shadow(int offset, int length, byte[] header)
    {
        for (int i = offset; i < offset + length; i++)
        {
            _shadowed[i] = true;
            _shadow[i] = header[i];
        }
    }

    /// <summary>Where the MSI-X capability is and where its table and PBA live.</summary>
    private readonly record struct MsixLayout(int Offset, int Vectors, int TableBar, ulong TableOffset, int PbaBar, ulong PbaOffset)
    {
        public int TableLength => Vectors * MsixTable.EntrySize;

        public int PbaLength => MsixTable.PbaLengthFor(Vectors);
    }

    /// <summary>Where the MSI capability is and where its registers sit (PCI 3.0 §6.8.1); mask
    /// and pending are 0 without per-vector masking.</summary>
    private readonly record struct MsiLayout(int Offset, int Length, int Vectors, bool Is64Bit, int DataOffset, int MaskOffset, int PendingOffset);
}
