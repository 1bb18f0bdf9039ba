namespace Vireo.Sdei.Tests;

/// <summary>A vCPU's registers as an array, standing in for KVM_GET/SET_ONE_REG.</summary>
internal sealed class FakeVcpu : ISdeiVcpuContext
{
    public ulong[] X { get; } = new ulong[31];

    public ulong Pc { get; set; }

    public ulong Pstate { get; set; }

    public ulong ElrEl1 { get; set; }

    public ulong SpsrEl1 { get; set; }

    public ulong SctlrEl1 { get; set; }

    public ulong GetX(int index) => X[index];

    public void SetX(int index, ulong value) => X[index] = value;

    /// <summary>Fill every register with a value that names it, so a wrong copy shows.</summary>
    public static FakeVcpu Marked(ulong seed)
    {
        var v = new FakeVcpu { Pc = seed + 0x1000_0000, Pstate = 0x6000_0005, ElrEl1 = 0xE1E1, SpsrEl1 = 0x5959 };
        for (int i = 0; i < v.X.Length; i++)
        {
            v.X[i] = seed + (ulong)i * 0x100;
        }

        return v;
    }

    public FakeVcpu Clone()
    {
        var c = new FakeVcpu { Pc = Pc, Pstate = Pstate, ElrEl1 = ElrEl1, SpsrEl1 = SpsrEl1, SctlrEl1 = SctlrEl1 };
        X.CopyTo(c.X, 0);
        return c;
    }

    public void AssertEqual(FakeVcpu expected)
    {
        Assert.Equal(expected.X, X);
        Assert.Equal(expected.Pc, Pc);
        Assert.Equal(expected.Pstate, Pstate);
        Assert.Equal(expected.ElrEl1, ElrEl1);
        Assert.Equal(expected.SpsrEl1, SpsrEl1);
    }
}
