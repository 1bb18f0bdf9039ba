using System.Text.Json;

namespace Vireo.Lab.Tests;

/// <summary>The arm64 nested lab: QEMU TCG's virt machine with EL2 boots Debian's arm64 kernel
/// as L1 with its built-in KVM, and Vireo, cross-published as a NativeAOT linux-arm64 binary,
/// runs there against that /dev/kvm.</summary>
[Collection(Arm64LabCollection.Name)]
public sealed class Arm64LabTests(Arm64L1Fixture l1)
{
    [LabFact("qemu-system-aarch64")]
    public async Task The_arm64_L1_has_KVM_and_Vireos_arm64_build_reads_it()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        LabCommandResult machine = await l1.Machine.RunAsync("uname -m; ls -l /dev/kvm; dmesg | grep -c 'kvm \\[1\\]: .*mode initialized successfully'");
        Assert.True(machine.Succeeded, machine.Output + "\n" + l1.Log);
        Assert.Equal("aarch64", machine.OutputLines[0]);
        Assert.StartsWith("crw", machine.OutputLines[1], StringComparison.Ordinal);
        Assert.Equal("1", machine.OutputLines[2]);

        LabCommandResult info = await l1.Machine.RunAsync($"{Arm64L1Fixture.VireoInL1} kvm-info --json");
        Assert.True(info.Succeeded, info.Output + "\n" + l1.Log);
        using JsonDocument json = JsonDocument.Parse(info.Output);
        Assert.Equal(12, json.RootElement.GetProperty("apiVersion").GetInt32());
        Assert.Equal("arm64", json.RootElement.GetProperty("backend").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("capabilities").GetProperty("nrVcpus").GetInt32());
    }
}
