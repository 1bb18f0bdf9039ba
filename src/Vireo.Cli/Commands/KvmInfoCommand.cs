using System.CommandLine;
using System.Text.Json;
using Vireo.Cli.Common;
using Vireo.Kvm;

namespace Vireo.Cli;

/// <summary>`vireo kvm-info [--json]`.</summary>
internal static class KvmInfoCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new VireoCommand(
            "kvm-info",
            "Show the host's KVM: API version, backend (intel, amd or pvm) and key capabilities.",
            """
            Shows the host's KVM: API version, which backend serves /dev/kvm (intel: hardware VMX,
            amd: hardware SVM, arm64: an arm64 host's EL2, or pvm, which runs Vireo's tests but cannot boot a stock Linux
            guest), the size of the vCPU run area, and the capabilities Vireo relies on.
            """) { json };
        command.SetAction(result => RunAsync(result.GetValue(json), result.InvocationConfiguration.Output));
        return command;
    }

    // What the arm64 machine relies on: PSCI 0.2+ in the kernel, device control (the vGIC),
    // the guest-physical address size, and the common event plumbing.
    private static readonly KvmCapability[] s_reportedArm64 =
    [
        KvmCapability.ArmPsci02, KvmCapability.DeviceCtrl, KvmCapability.VmAttributes, KvmCapability.ArmVmIpaSize,
        KvmCapability.ArmPmuV3, KvmCapability.Irqfd, KvmCapability.Ioeventfd, KvmCapability.IrqRouting,
        KvmCapability.SignalMsi, KvmCapability.ImmediateExit, KvmCapability.UserMemory, KvmCapability.ReadonlyMem,
        KvmCapability.MpState, KvmCapability.VcpuEvents, KvmCapability.NrVcpus, KvmCapability.MaxVcpus, KvmCapability.NrMemslots,
    ];

    private static readonly KvmCapability[] s_reported =
    [
        KvmCapability.Irqchip, KvmCapability.Pit2, KvmCapability.Irqfd, KvmCapability.IrqfdResample,
        KvmCapability.Ioeventfd, KvmCapability.IrqRouting, KvmCapability.SignalMsi, KvmCapability.ImmediateExit,
        KvmCapability.UserMemory, KvmCapability.ReadonlyMem, KvmCapability.SetTssAddr, KvmCapability.SetIdentityMapAddr,
        KvmCapability.ExtCpuid, KvmCapability.MpState, KvmCapability.VcpuEvents, KvmCapability.Debugregs,
        KvmCapability.Xsave, KvmCapability.Xsave2, KvmCapability.Xcrs, KvmCapability.AdjustClock,
        KvmCapability.TscDeadlineTimer, KvmCapability.NrVcpus, KvmCapability.MaxVcpus, KvmCapability.NrMemslots,
    ];

    private static async Task<int> RunAsync(bool json, TextWriter stdout)
    {
        using KvmSystem kvm = HostKvm.Open();
        bool arm64 = kvm.Backend == KvmBackend.Arm64;
        var capabilities = (arm64 ? s_reportedArm64 : s_reported).Select(c => (Name: CapabilityName(c), Value: kvm.CheckExtension(c))).ToArray();
        // The SMCCC filter (Linux 6.4), which SDEI needs, is a VM attribute, not a capability.
        if (arm64)
        {
            using KvmVm vm = kvm.CreateVm();
            capabilities = [.. capabilities, ("smcccFilter", vm.SupportsSmcccFilter ? 1 : 0)];
        }
        bool canBoot = kvm.Backend is KvmBackend.Intel or KvmBackend.Amd or KvmBackend.Arm64;
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteNumber("apiVersion", kvm.ApiVersion);
                w.WriteString("backend", KvmBackendName.Of(kvm.Backend));
                w.WriteBoolean("canBootStockGuests", canBoot);
                w.WriteNumber("vcpuMmapSize", kvm.VcpuMmapSize);
                w.WriteStartObject("capabilities");
                foreach ((string name, int value) in capabilities)
                {
                    w.WriteNumber(name, value);
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            await stdout.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            return 0;
        }

        await stdout.WriteLineAsync($"KVM API version: {kvm.ApiVersion}");
        await stdout.WriteLineAsync($"Backend:         {BackendText(kvm.Backend)}");
        await stdout.WriteLineAsync($"vCPU run area:   {kvm.VcpuMmapSize} bytes");
        await stdout.WriteLineAsync("Capabilities:");
        foreach ((string name, int value) in capabilities)
        {
            await stdout.WriteLineAsync($"  {name,-26} {(value == 0 ? "no" : value == 1 ? "yes" : value.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        }
        if (!canBoot)
        {
            await stdout.WriteLineAsync("This KVM cannot boot a stock Linux guest; use the nested lab (see README.md).");
        }
        return 0;
    }

    internal static string BackendText(KvmBackend backend) => backend switch
    {
        KvmBackend.Intel => "intel (hardware VMX)",
        KvmBackend.Amd => "amd (hardware SVM)",
        KvmBackend.Pvm => "pvm (paravirtual: exits work, guest interrupts do not)",
        KvmBackend.Arm64 => "arm64 (hardware EL2)",
        _ => "unknown (no kvm_intel, kvm_amd or kvm_pvm module found)",
    };

    private static string CapabilityName(KvmCapability capability) => capability switch
    {
        KvmCapability.Irqchip => "irqchip",
        KvmCapability.Pit2 => "pit2",
        KvmCapability.Irqfd => "irqfd",
        KvmCapability.IrqfdResample => "irqfdResample",
        KvmCapability.Ioeventfd => "ioeventfd",
        KvmCapability.IrqRouting => "irqRouting",
        KvmCapability.SignalMsi => "signalMsi",
        KvmCapability.ImmediateExit => "immediateExit",
        KvmCapability.UserMemory => "userMemory",
        KvmCapability.ReadonlyMem => "readonlyMem",
        KvmCapability.SetTssAddr => "setTssAddr",
        KvmCapability.SetIdentityMapAddr => "setIdentityMapAddr",
        KvmCapability.ExtCpuid => "extCpuid",
        KvmCapability.MpState => "mpState",
        KvmCapability.VcpuEvents => "vcpuEvents",
        KvmCapability.Debugregs => "debugregs",
        KvmCapability.Xsave => "xsave",
        KvmCapability.Xsave2 => "xsave2",
        KvmCapability.Xcrs => "xcrs",
        KvmCapability.AdjustClock => "adjustClock",
        KvmCapability.TscDeadlineTimer => "tscDeadlineTimer",
        KvmCapability.NrVcpus => "nrVcpus",
        KvmCapability.MaxVcpus => "maxVcpus",
        KvmCapability.NrMemslots => "nrMemslots",
        KvmCapability.ArmPsci02 => "armPsci02",
        KvmCapability.DeviceCtrl => "deviceCtrl",
        KvmCapability.VmAttributes => "vmAttributes",
        KvmCapability.ArmVmIpaSize => "armVmIpaSize",
        KvmCapability.ArmPmuV3 => "armPmuV3",
        _ => capability.ToString(),
    };
}
