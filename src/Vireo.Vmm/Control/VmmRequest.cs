namespace Vireo.Vmm;

/// <summary>A request whose sender waits for <typeparamref name="TReply"/> (<see cref="Reply"/>).
/// A request that is not valid in the VM's state fails with <see cref="VmStateException"/>; one
/// with an argument the machine cannot honour, with <see cref="ArgumentException"/>.</summary>
public abstract class VmmRequest<TReply> : VmmMessage
{
    private readonly TaskCompletionSource<TReply> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the control loop has handled the request.</summary>
    public Task<TReply> Reply => _reply.Task;

    internal void Complete(TReply reply) => _reply.TrySetResult(reply);

    internal override void Fail(Exception error) => _reply.TrySetException(error);
}
