namespace Vireo.Sdei.Tests;

/// <summary>A dispatcher with three vCPUs, a fake host and binder, and one register file per vCPU.</summary>
internal sealed class Rig
{
    public const uint PrivateCritical = 0x100;
    public const uint PrivateNormal = 0x300;
    public const uint SharedNormal = 0x200;
    public const uint SharedCritical = 0x201;
    public const ulong Entry = 0xFFFF_8000_1000_0000;
    public const ulong Arg = 0xA5A5_0000_0000_0001;

    public static readonly SdeiEventDescriptor[] Table =
    [
        new(PrivateCritical, SdeiEventType.Private, SdeiPriority.Critical),
        new(SharedNormal, SdeiEventType.Shared, SdeiPriority.Normal),
        new(SharedCritical, SdeiEventType.Shared, SdeiPriority.Critical),
        new(PrivateNormal, SdeiEventType.Private, SdeiPriority.Normal),
    ];

    public Rig(int vcpus = 3, bool binder = true)
    {
        Host = new FakeHost();
        Binder = binder ? new FakeBinder() : null;
        Mpidrs = Enumerable.Range(0, vcpus).Select(SdeiDispatcher.KvmDefaultMpidr).ToArray();
        Dispatcher = new SdeiDispatcher(Table, Mpidrs, Host, Binder);
        Vcpus = Enumerable.Range(0, vcpus).Select(i => FakeVcpu.Marked((ulong)(i + 1) << 32)).ToArray();
    }

    public FakeHost Host { get; }

    public FakeBinder? Binder { get; }

    public ulong[] Mpidrs { get; }

    public SdeiDispatcher Dispatcher { get; }

    public FakeVcpu[] Vcpus { get; }

    public SdeiCallResult Call(int vcpu, SdeiFunction fn, ulong x1 = 0, ulong x2 = 0, ulong x3 = 0, ulong x4 = 0, ulong x5 = 0) =>
        Dispatcher.Call(vcpu, new SmcccCall((uint)fn, x1, x2, x3, x4, x5), Vcpus[vcpu]);

    /// <summary>Call and expect a return with this x0.</summary>
    public void Expect(SdeiReturnCode code, int vcpu, SdeiFunction fn, ulong x1 = 0, ulong x2 = 0, ulong x3 = 0, ulong x4 = 0, ulong x5 = 0)
    {
        SdeiCallResult r = Call(vcpu, fn, x1, x2, x3, x4, x5);
        Assert.True(r.Returned);
        Assert.Equal(code, r.Code);
        Assert.Equal((ulong)(long)code, Vcpus[vcpu].X[0]);
    }

    public ulong Value(int vcpu, SdeiFunction fn, ulong x1 = 0, ulong x2 = 0)
    {
        SdeiCallResult r = Call(vcpu, fn, x1, x2);
        Assert.True(r.Returned);
        return r.X0;
    }

    /// <summary>Register and enable <paramref name="ev"/> on a vCPU with entry Entry + ev*0x100 and argument Arg + ev.</summary>
    public void Arm(int vcpu, uint ev, ulong flags = 0, ulong affinity = 0)
    {
        Expect(SdeiReturnCode.Success, vcpu, SdeiFunction.EventRegister, ev, EntryOf(ev), Arg + ev, flags, affinity);
        Expect(SdeiReturnCode.Success, vcpu, SdeiFunction.EventEnable, ev);
    }

    public static ulong EntryOf(uint ev) => Entry + ((ulong)ev * 0x100);

    public void Unmask(int vcpu) => Expect(SdeiReturnCode.Success, vcpu, SdeiFunction.PeUnmask);
}
