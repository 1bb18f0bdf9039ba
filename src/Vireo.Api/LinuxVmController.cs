using System.Diagnostics;
using System.Globalization;
using Vireo.Vmm;

namespace Vireo.Api;

/// <summary>The API's view of a running <see cref="LinuxVm"/>: every request becomes a call on
/// the VM and an event for `vm.events` subscribers.</summary>
public sealed class LinuxVmController : IVmController
{
    private readonly LinuxVm _vm;
    private readonly LinuxVmConfig _config;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly object _gate = new();
    private bool _paused;
    private bool _ended;

    public LinuxVmController(LinuxVm vm, LinuxVmConfig config)
    {
        _vm = vm;
        _config = config;
    }

    public VmEventHub Events { get; } = new();

    public VmInfo Info()
    {
        lock (_gate)
        {
            VmState state = _ended ? VmState.Shutdown : _paused ? VmState.Paused : VmState.Running;
            return new VmInfo(state, _paused ? "paused" : _vm.PowerState, _config.Cpus, (long)_config.MemoryBytes,
                _config.KernelPath, _config.Cmdline, (long)Stopwatch.GetElapsedTime(_started).TotalMilliseconds);
        }
    }

    /// <summary>Presses the power button; a guest in s2idle takes it as its wakeup instead.</summary>
    public void PowerButton()
    {
        RequireRunning();
        if (_vm.S2IdleState == S2IdleState.Running)
        {
            _vm.PowerManagement.PressPowerButton();
        }
        else
        {
            _vm.RequestWake(VmEventNames.PowerButton);
        }
        Events.Publish(VmEventNames.PowerButton);
    }

    /// <summary>Graceful by default (the ACPI power button, as SIGTERM); forced stops at once.</summary>
    public void Shutdown(bool force)
    {
        lock (_gate)
        {
            if (_ended)
            {
                throw new VmStateException("the VM has already shut down");
            }
        }
        if (force)
        {
            _vm.Machine.RequestExit(MachineExitReason.Stopped, "vm.shutdown --force from the API");
        }
        else
        {
            _vm.PowerManagement.PressPowerButton();
            Events.Publish(VmEventNames.PowerButton);
        }
    }

    public void Pause()
    {
        lock (_gate)
        {
            RequireRunningLocked();
            if (_paused)
            {
                throw new VmStateException("the VM is already paused");
            }
            _vm.Machine.Pause();
            _paused = true;
        }
        Events.Publish(VmEventNames.Paused);
    }

    public void Resume()
    {
        lock (_gate)
        {
            RequireRunningLocked();
            if (!_paused)
            {
                throw new VmStateException("the VM is not paused");
            }
            _vm.Machine.Resume();
            _paused = false;
        }
        Events.Publish(VmEventNames.Resumed);
    }

    public void RaiseGpe(int gpe)
    {
        if (gpe is < 0 or >= Vireo.Devices.AcpiPmDevice.GpeCount)
        {
            throw new ArgumentOutOfRangeException(nameof(gpe), gpe, $"GPE numbers run from 0 to {Vireo.Devices.AcpiPmDevice.GpeCount - 1}");
        }
        RequireRunning();
        _vm.PowerManagement.RaiseGpe(gpe);
        Events.Publish(VmEventNames.Gpe, new Dictionary<string, string> { ["gpe"] = gpe.ToString(CultureInfo.InvariantCulture) });
    }

    /// <summary>Wakes a guest in s2idle now, or after <paramref name="delay"/>; 409 when the guest
    /// is not suspending or suspended and no delay was given.</summary>
    public void Wake(TimeSpan? delay)
    {
        RequireRunning();
        if (delay is TimeSpan after && after > TimeSpan.Zero)
        {
            _vm.WakeAfter(after);
            return;
        }
        if (_vm.RequestWake("api") == S2IdleWakeOutcome.NotSuspended)
        {
            throw new VmStateException("the guest is not in suspend-to-idle; there is nothing to wake");
        }
    }

    /// <summary>Forwards an s2idle transition to `vm.events`, with its cycle and wake source.</summary>
    public void Publish(S2IdleEvent transition)
    {
        var properties = new Dictionary<string, string> { ["cycle"] = transition.Cycle.ToString(CultureInfo.InvariantCulture) };
        if (transition.Source is string source)
        {
            properties["source"] = source;
        }
        Events.Publish(transition.Name, properties);
    }

    /// <summary>Called by the VMM when the run ended: later requests get 409 and event streams end.</summary>
    public void Ended(MachineExit exit)
    {
        lock (_gate)
        {
            _ended = true;
        }
        Events.Publish(exit.Reason == MachineExitReason.Reset ? VmEventNames.Reset : VmEventNames.Shutdown,
            new Dictionary<string, string> { ["reason"] = exit.Reason.ToString().ToLowerInvariant() });
        Events.Complete();
    }

    private void RequireRunning()
    {
        lock (_gate)
        {
            RequireRunningLocked();
        }
    }

    private void RequireRunningLocked()
    {
        if (_ended)
        {
            throw new VmStateException("the VM has shut down");
        }
    }
}
