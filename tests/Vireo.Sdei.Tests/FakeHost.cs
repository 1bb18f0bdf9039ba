namespace Vireo.Sdei.Tests;

internal sealed class FakeHost : ISdeiHost
{
    public List<int> Requests { get; } = [];

    public void RequestDelivery(int vcpu) => Requests.Add(vcpu);
}
