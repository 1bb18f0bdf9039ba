using Vireo.TestSupport;

namespace Vireo.Sys.Tests;

/// <summary>The tap and interface ioctl structs and numbers against gcc's reading of net/if.h,
/// netinet/in.h, linux/if_tun.h and linux/sockios.h.</summary>
public sealed class TapLayoutTests
{
    private static readonly CStructLayout[] s_layouts =
    [
        CStructLayout.Of<Interop.Sys.IfReq>("struct ifreq")
            .Field("ifr_name", (ref Interop.Sys.IfReq r) => ref r.Name)
            .Field("ifr_flags", (ref Interop.Sys.IfReq r) => ref r.Flags)
            .Field("ifr_addr", (ref Interop.Sys.IfReq r) => ref r.Address),
        CStructLayout.Of<Interop.Sys.SockAddrIn>("struct sockaddr_in")
            .Field("sin_family", (ref Interop.Sys.SockAddrIn a) => ref a.Family)
            .Field("sin_port", (ref Interop.Sys.SockAddrIn a) => ref a.Port)
            .Field("sin_addr", (ref Interop.Sys.SockAddrIn a) => ref a.Address)
            .Field("sin_zero", (ref Interop.Sys.SockAddrIn a) => ref a.Zero),
    ];

    private static readonly (string Macro, ulong Value)[] s_constants =
    [
        ("IFNAMSIZ", Interop.Sys.InterfaceNameSize),
        ("IFF_TAP", (ulong)TapDevice.IffTap),
        ("IFF_NO_PI", (ulong)TapDevice.IffNoPi),
        ("IFF_VNET_HDR", (ulong)TapDevice.IffVnetHdr),
        ("TUNSETIFF", TapDevice.TunSetIff),
        ("TUNSETOFFLOAD", TapDevice.TunSetOffload),
        ("TUNSETVNETHDRSZ", TapDevice.TunSetVnetHdrSz),
        ("TUN_F_CSUM", (ulong)TunOffloads.Checksum),
        ("TUN_F_TSO4", (ulong)TunOffloads.Tso4),
        ("TUN_F_TSO6", (ulong)TunOffloads.Tso6),
        ("TUN_F_TSO_ECN", (ulong)TunOffloads.TsoEcn),
        ("TUN_F_UFO", (ulong)TunOffloads.Ufo),
        ("SIOCGIFFLAGS", NetInterface.SiocGifFlags),
        ("SIOCSIFFLAGS", NetInterface.SiocSifFlags),
        ("SIOCSIFADDR", NetInterface.SiocSifAddr),
        ("SIOCSIFNETMASK", NetInterface.SiocSifNetmask),
        ("IFF_UP", (ulong)NetInterface.IffUp),
    ];

    private static readonly Lazy<CLayoutOracle> s_oracle = new(() => CLayoutOracle.Run(
        ["net/if.h", "netinet/in.h", "sys/ioctl.h", "linux/if_tun.h", "linux/sockios.h"],
        s_layouts, s_constants.Select(c => c.Macro)));

    public static TheoryData<string> Names() => new(s_layouts.Select(l => l.CType));

    public static TheoryData<string> Macros() => new(s_constants.Select(c => c.Macro));

    [GccTheory]
    [MemberData(nameof(Names))]
    public void Struct_matches_the_C_layout(string cType)
    {
        IReadOnlyList<string> problems = s_oracle.Value.Compare(s_layouts.Single(l => l.CType == cType));

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [GccTheory]
    [MemberData(nameof(Macros))]
    public void Constant_matches_the_C_macro(string macro)
        => Assert.Equal(s_oracle.Value.Macro(macro), s_constants.Single(c => c.Macro == macro).Value);
}
