namespace Vireo.Sdei;

/// <summary>One signal the host raised (<see cref="SdeiDispatcher.Signal"/>): the API, a device, a
/// bound interrupt. What <see cref="SdeiDispatcher.Signalled"/> reports, for the VM's event stream.</summary>
/// <param name="Event">The event signalled.</param>
/// <param name="Vcpu">The vCPU it was sent to; null for a shared event or every vCPU.</param>
/// <param name="Source">Who raised it, in words ("api", "interrupt 33", a device's name).</param>
/// <param name="Result">Success, Denied (registered nowhere it was sent: dropped) or InvalidParameters.</param>
public sealed record SdeiSignal(uint Event, int? Vcpu, string Source, SdeiReturnCode Result);
