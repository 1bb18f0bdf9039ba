using Vireo.TestSupport;

namespace Vireo.Loader.Tests;

/// <summary>The zero-page structs against gcc's reading of asm/bootparam.h.</summary>
public sealed class BootParamsLayoutTests
{
    private static readonly CStructLayout[] s_layouts =
    [
        CStructLayout.Of<SetupHeader>("struct setup_header")
            .Field("setup_sects", (ref SetupHeader h) => ref h.SetupSects)
            .Field("syssize", (ref SetupHeader h) => ref h.Syssize)
            .Field("boot_flag", (ref SetupHeader h) => ref h.BootFlag)
            .Field("header", (ref SetupHeader h) => ref h.Header)
            .Field("version", (ref SetupHeader h) => ref h.Version)
            .Field("type_of_loader", (ref SetupHeader h) => ref h.TypeOfLoader)
            .Field("loadflags", (ref SetupHeader h) => ref h.Loadflags)
            .Field("code32_start", (ref SetupHeader h) => ref h.Code32Start)
            .Field("ramdisk_image", (ref SetupHeader h) => ref h.RamdiskImage)
            .Field("ramdisk_size", (ref SetupHeader h) => ref h.RamdiskSize)
            .Field("heap_end_ptr", (ref SetupHeader h) => ref h.HeapEndPtr)
            .Field("cmd_line_ptr", (ref SetupHeader h) => ref h.CmdLinePtr)
            .Field("initrd_addr_max", (ref SetupHeader h) => ref h.InitrdAddrMax)
            .Field("kernel_alignment", (ref SetupHeader h) => ref h.KernelAlignment)
            .Field("relocatable_kernel", (ref SetupHeader h) => ref h.RelocatableKernel)
            .Field("xloadflags", (ref SetupHeader h) => ref h.Xloadflags)
            .Field("cmdline_size", (ref SetupHeader h) => ref h.CmdlineSize)
            .Field("hardware_subarch_data", (ref SetupHeader h) => ref h.HardwareSubarchData)
            .Field("setup_data", (ref SetupHeader h) => ref h.SetupData)
            .Field("pref_address", (ref SetupHeader h) => ref h.PrefAddress)
            .Field("init_size", (ref SetupHeader h) => ref h.InitSize)
            .Field("handover_offset", (ref SetupHeader h) => ref h.HandoverOffset)
            .Field("kernel_info_offset", (ref SetupHeader h) => ref h.KernelInfoOffset),
        CStructLayout.Of<E820Entry>("struct boot_e820_entry")
            .Field("addr", (ref E820Entry e) => ref e.Address)
            .Field("size", (ref E820Entry e) => ref e.Size)
            .Field("type", (ref E820Entry e) => ref e.Type),
        CStructLayout.Of<BootParams>("struct boot_params")
            .Field("acpi_rsdp_addr", (ref BootParams p) => ref p.AcpiRsdpAddr)
            .Field("ext_ramdisk_image", (ref BootParams p) => ref p.ExtRamdiskImage)
            .Field("ext_ramdisk_size", (ref BootParams p) => ref p.ExtRamdiskSize)
            .Field("ext_cmd_line_ptr", (ref BootParams p) => ref p.ExtCmdLinePtr)
            .Field("e820_entries", (ref BootParams p) => ref p.E820Entries)
            .Field("hdr", (ref BootParams p) => ref p.Hdr)
            .Field("e820_table", (ref BootParams p) => ref p.E820),
    ];

    public static TheoryData<string> Names() => new(s_layouts.Select(l => l.CType));

    [GccTheory]
    [MemberData(nameof(Names))]
    public void Struct_matches_the_C_layout(string cType)
    {
        CLayoutOracle oracle = CLayoutOracle.Run(["stdint.h", "asm/bootparam.h"], s_layouts, []);

        IReadOnlyList<string> problems = oracle.Compare(s_layouts.Single(l => l.CType == cType));

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
