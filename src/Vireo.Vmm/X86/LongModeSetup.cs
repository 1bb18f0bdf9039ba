using Vireo.Kvm;
using Vireo.Memory;

namespace Vireo.Vmm.X86;

/// <summary>
/// Puts a vCPU straight into 64-bit mode, as the x86 64-bit boot protocol expects: a flat GDT,
/// identity page tables built from 2 MiB pages (1 GiB pages are avoided on purpose: not every
/// KVM backend supports them, PVM among them), and CR0/CR4/EFER set for paging.
/// </summary>
public static class LongModeSetup
{
    /// <summary>Where the flat GDT is written.</summary>
    public static readonly GuestAddress GdtAddress = new(0x500);
    /// <summary>The PML4 page.</summary>
    public static readonly GuestAddress Pml4Address = new(0x9000);
    /// <summary>The PDPT page.</summary>
    public static readonly GuestAddress PdptAddress = new(0xa000);

    // The page directories follow the PDPT, one 4 KiB page per GiB mapped.
    /// <summary>The first page directory (one per GiB mapped).</summary>
    public static readonly GuestAddress FirstPdAddress = new(0xb000);

    /// <summary>The 64-bit code segment's selector in that GDT.</summary>
    public const ushort CodeSelector = 0x08;
    /// <summary>The data segment's selector in that GDT.</summary>
    public const ushort DataSelector = 0x10;

    // Intel SDM Vol. 3A §3.4.5 descriptor layout: base 0, limit 0xfffff, G=1; access byte
    // 0x9b (present, code, execute/read, accessed) with L=1 for 64-bit code; 0x93 for data.
    private const ulong Code64Descriptor = 0x00af_9b00_0000_ffff;
    private const ulong Data32Descriptor = 0x00cf_9300_0000_ffff;

    // Intel SDM Vol. 3A §4.5 paging-structure entry bits.
    private const ulong Present = 1 << 0;
    private const ulong Writable = 1 << 1;
    private const ulong PageSize = 1 << 7;
    private const ulong TwoMiB = 2UL << 20;

    // Control register bits (SDM Vol. 3A §2.5, §2.2.1).
    private const ulong Cr0Pe = 1 << 0;
    private const ulong Cr0Et = 1 << 4;
    private const ulong Cr0Pg = 1UL << 31;
    private const ulong Cr4Pae = 1 << 5;
    private const ulong EferLme = 1 << 8;
    private const ulong EferLma = 1 << 10;

    /// <summary>Writes the GDT and page tables identity-mapping [0, <paramref name="gibibytes"/> GiB).</summary>
    public static void WriteTables(GuestMemory memory, int gibibytes = 1)
    {
        if (gibibytes is < 1 or > 512)
        {
            throw new ArgumentOutOfRangeException(nameof(gibibytes), gibibytes, "identity map covers 1 to 512 GiB");
        }
        memory.Write(GdtAddress, 0UL);
        memory.Write(GdtAddress.Add(8), Code64Descriptor);
        memory.Write(GdtAddress.Add(16), Data32Descriptor);

        memory.Write(Pml4Address, PdptAddress.Value | Present | Writable);
        for (int gib = 0; gib < gibibytes; gib++)
        {
            GuestAddress pd = FirstPdAddress.Add((ulong)gib * 0x1000);
            memory.Write(PdptAddress.Add((ulong)gib * 8), pd.Value | Present | Writable);
            for (ulong i = 0; i < 512; i++)
            {
                ulong physical = ((ulong)gib * 512 + i) * TwoMiB;
                memory.Write(pd.Add(i * 8), physical | Present | Writable | PageSize);
            }
        }
    }

    /// <summary>Puts <paramref name="vcpu"/> in 64-bit mode (<see cref="ConfigureSregs"/>) at
    /// <paramref name="entry"/> with RSP <paramref name="stack"/>, RSI <paramref name="rsi"/> and
    /// the other general registers zero. The page tables are <see cref="WriteTables"/>'s.</summary>
    public static void StartAt(KvmVcpu vcpu, GuestAddress entry, ulong stack, ulong rsi = 0)
    {
        ArgumentNullException.ThrowIfNull(vcpu);
        KvmSregs sregs = vcpu.GetSregs();
        ConfigureSregs(ref sregs);
        vcpu.SetSregs(sregs);
        // RFLAGS bit 1 is reserved and reads as 1.
        vcpu.SetRegs(new KvmRegs { Rip = entry.Value, Rsp = stack, Rsi = rsi, Rflags = 2 });
    }

    /// <summary>Sets segment, descriptor-table and control registers for 64-bit mode.</summary>
    public static void ConfigureSregs(ref KvmSregs sregs)
    {
        KvmSegment code = new()
        {
            Base = 0,
            Limit = 0xffff_ffff,
            Selector = CodeSelector,
            Type = 0xb,
            Present = 1,
            Dpl = 0,
            Db = 0,
            S = 1,
            L = 1,
            G = 1,
        };
        KvmSegment data = code;
        data.Selector = DataSelector;
        data.Type = 0x3;
        data.L = 0;
        data.Db = 1;

        sregs.Cs = code;
        sregs.Ds = data;
        sregs.Es = data;
        sregs.Fs = data;
        sregs.Gs = data;
        sregs.Ss = data;
        sregs.Gdt.Base = GdtAddress.Value;
        sregs.Gdt.Limit = 3 * 8 - 1;
        sregs.Cr3 = Pml4Address.Value;
        sregs.Cr4 |= Cr4Pae;
        sregs.Cr0 |= Cr0Pe | Cr0Et | Cr0Pg;
        sregs.Efer |= EferLme | EferLma;
    }
}
