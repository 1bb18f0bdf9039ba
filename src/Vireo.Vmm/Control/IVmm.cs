namespace Vireo.Vmm;

/// <summary>What a front end (the API server, the CLI) holds of a running VMM: a way to send it
/// requests and its event stream. <see cref="ControlLoop"/> is the implementation; tests of a
/// front end can fake it.</summary>
public interface IVmm
{
    /// <summary>Every VM event, across reboots.</summary>
    VmEventHub Events { get; }

    /// <summary>Sends <paramref name="request"/> to the control loop and completes with its reply,
    /// or faults with <see cref="VmStateException"/> (not valid now) or
    /// <see cref="ArgumentException"/> (not a value this machine has).</summary>
    Task<TReply> SendAsync<TReply>(VmmRequest<TReply> request);
}
