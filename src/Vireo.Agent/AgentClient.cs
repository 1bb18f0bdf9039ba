using Vireo.Sys;

namespace Vireo.Agent;

/// <summary>The VMM's side of the agent: ask for one device, get its descriptors or the reason
/// it was refused. The VMM needs no access to /dev/vfio; the agent opens what the policy allows.</summary>
public static class AgentClient
{
    /// <summary>How long the VMM waits for the agent's answer by default.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Asks the agent at <paramref name="socketPath"/> for <paramref name="request"/>'s device.</summary>
    /// <exception cref="AgentRefusedException">The agent refused (its reason), could not be
    /// reached, stayed silent past <paramref name="timeout"/>, or answered something that is not
    /// a reply; the message says which and names the device.</exception>
    public static AgentGrant Request(string socketPath, AgentRequest request, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        string what = $"device {request.Device}";
        UnixSocket socket;
        try
        {
            socket = UnixSocket.Connect(socketPath);
        }
        catch (ErrnoException e)
        {
            throw new AgentRefusedException($"cannot reach the device agent at {socketPath} for {what}: {e.Message} (is `vireo agent` running there?)", e);
        }
        var fds = new List<SafeFd>();
        using (socket)
        {
            try
            {
                socket.Send(request.Encode());
                byte[] line = AgentLine.Read(socket, AgentReply.MaxBytes, timeout ?? DefaultTimeout, fds, AgentReply.MaxFds);
                AgentReply reply = AgentReply.Decode(line);
                if (!reply.Granted)
                {
                    throw new AgentRefusedException($"the device agent refused {what}: {reply.Error}");
                }
                if (fds.Count != reply.Roles.Count)
                {
                    throw new FormatException($"the grant names {reply.Roles.Count} descriptors but {fds.Count} came with it");
                }
                var opened = new AgentOpenedDevice(reply.Backend!, [.. reply.Roles.Zip(fds)], reply.Ioas);
                fds.Clear();
                return new AgentGrant(reply.Device!, reply.Group, opened);
            }
            catch (Exception e) when (e is ErrnoException or TimeoutException or FormatException)
            {
                throw new AgentRefusedException($"the device agent at {socketPath} gave no usable answer for {what}: {e.Message}", e);
            }
            finally
            {
                fds.ForEach(f => f.Dispose());
            }
        }
    }
}
