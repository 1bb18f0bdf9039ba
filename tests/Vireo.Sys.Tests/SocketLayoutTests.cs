using Vireo.TestSupport;

namespace Vireo.Sys.Tests;

/// <summary>The sendmsg/recvmsg structs against gcc's reading of sys/socket.h. Pointer fields
/// cannot be selected generically, so their placement is pinned by the neighbours and sizes.</summary>
public sealed class SocketLayoutTests
{
    private static readonly CStructLayout[] s_layouts =
    [
        CStructLayout.Of<Interop.Sys.IoVec>("struct iovec")
            .Field("iov_len", (ref Interop.Sys.IoVec v) => ref v.Length),
        CStructLayout.Of<Interop.Sys.MsgHdr>("struct msghdr")
            .Field("msg_namelen", (ref Interop.Sys.MsgHdr m) => ref m.NameLength)
            .Field("msg_iovlen", (ref Interop.Sys.MsgHdr m) => ref m.IovLength)
            .Field("msg_controllen", (ref Interop.Sys.MsgHdr m) => ref m.ControlLength)
            .Field("msg_flags", (ref Interop.Sys.MsgHdr m) => ref m.Flags),
        CStructLayout.Of<Interop.Sys.CmsgHdr>("struct cmsghdr")
            .Field("cmsg_len", (ref Interop.Sys.CmsgHdr c) => ref c.Length)
            .Field("cmsg_level", (ref Interop.Sys.CmsgHdr c) => ref c.Level)
            .Field("cmsg_type", (ref Interop.Sys.CmsgHdr c) => ref c.Type),
        CStructLayout.Of<Interop.Sys.UCred>("struct ucred")
            .Field("pid", (ref Interop.Sys.UCred u) => ref u.Pid)
            .Field("uid", (ref Interop.Sys.UCred u) => ref u.Uid)
            .Field("gid", (ref Interop.Sys.UCred u) => ref u.Gid),
    ];

    public static TheoryData<string> Names() => new(s_layouts.Select(l => l.CType));

    [GccTheory]
    [MemberData(nameof(Names))]
    public void Struct_matches_the_C_layout(string cType)
    {
        CLayoutOracle oracle = CLayoutOracle.Run(["sys/socket.h", "sys/uio.h"], s_layouts, ["SCM_RIGHTS", "SOL_SOCKET", "SO_PEERCRED"]);

        Assert.Empty(oracle.Compare(s_layouts.Single(l => l.CType == cType)));
    }
}
