using Vireo.Kvm;

namespace Vireo.Cli;

/// <summary>The one spelling of a KVM backend in every output (text, JSON, errors): the
/// vendor part of its module's name, as `kvm-info --json` has always reported it.</summary>
internal static class KvmBackendName
{
    public static string Of(KvmBackend backend) => backend switch
    {
        KvmBackend.Intel => "intel",
        KvmBackend.Amd => "amd",
        KvmBackend.Pvm => "pvm",
        KvmBackend.Arm64 => "arm64",
        _ => "unknown",
    };
}
