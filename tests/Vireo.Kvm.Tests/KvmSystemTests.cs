using Vireo.Sys;
using Vireo.TestSupport;

namespace Vireo.Kvm.Tests;

public sealed class KvmSystemTests
{
    [KvmFact]
    public void Api_version_is_the_headers_version()
    {
        using KvmSystem kvm = KvmSystem.Open();

        Assert.Equal(KvmConstants.ApiVersion, kvm.ApiVersion);
    }

    [KvmFact]
    public void Extensions_the_vmm_needs_are_present_and_unknown_ones_are_not()
    {
        using KvmSystem kvm = KvmSystem.Open();

        Assert.True(kvm.CheckExtension(KvmCapability.UserMemory) > 0);
        Assert.True(kvm.CheckExtension(KvmCapability.Irqchip) > 0);
        Assert.True(kvm.CheckExtension(KvmCapability.Ioeventfd) > 0);
        Assert.True(kvm.CheckExtension(KvmCapability.Irqfd) > 0);
        Assert.True(kvm.CheckExtension(KvmCapability.ImmediateExit) > 0);
        Assert.True(kvm.CheckExtension(KvmCapability.NrMemslots) > 1);
        Assert.Equal(0, kvm.CheckExtension((KvmCapability)0x7fff_0000));
    }

    [KvmFact]
    public void Vcpu_mmap_size_holds_a_kvm_run_in_whole_pages()
    {
        using KvmSystem kvm = KvmSystem.Open();

        int size = kvm.VcpuMmapSize;

        Assert.True(size >= System.Runtime.CompilerServices.Unsafe.SizeOf<KvmRun>());
        Assert.Equal(0, size % Environment.SystemPageSize);
    }

    [KvmFact]
    public void Supported_cpuid_has_the_basic_leaves()
    {
        using KvmSystem kvm = KvmSystem.Open();

        KvmCpuidEntry2[] cpuid = kvm.GetSupportedCpuid();

        KvmCpuidEntry2 leaf0 = Assert.Single(cpuid, e => e.Function == 0);
        Assert.True(leaf0.Eax >= 1, "leaf 0 reports the highest basic leaf");
        Assert.Contains(cpuid, e => e.Function == 1);
        Assert.Contains(cpuid, e => e.Function == 0x8000_0000);
    }

    [KvmFact]
    public void Msr_index_list_is_readable_on_a_vcpu()
    {
        using KvmSystem kvm = KvmSystem.Open();
        uint[] indices = kvm.GetMsrIndexList();
        Assert.NotEmpty(indices);
        Assert.Equal(indices.Length, indices.Distinct().Count());

        using KvmVm vm = kvm.CreateVm();
        using KvmVcpu vcpu = vm.CreateVcpu(0);
        var entries = indices.Select(i => new KvmMsrEntry(i, 0)).ToArray();
        int read = vcpu.GetMsrs(entries);

        Assert.InRange(read, 1, indices.Length);
        Assert.Equal(indices, entries.Select(e => e.Index));
    }

    [KvmFact]
    public void Failed_ioctls_name_the_ioctl_and_errno()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using KvmVm vm = kvm.CreateVm();
        using KvmVcpu first = vm.CreateVcpu(0);

        var e = Assert.Throws<ErrnoException>(() => vm.CreateVcpu(0));

        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Equal("KVM_CREATE_VCPU", e.Call);
        Assert.StartsWith("KVM_CREATE_VCPU failed: EEXIST", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "kvm", "kvm_intel" }, KvmBackend.Intel)]
    [InlineData(new[] { "kvm", "kvm_amd" }, KvmBackend.Amd)]
    [InlineData(new[] { "kvm", "kvm_pvm" }, KvmBackend.Pvm)]
    [InlineData(new[] { "kvm", "kvm_intel", "kvm_pvm" }, KvmBackend.Pvm)]
    [InlineData(new[] { "kvm" }, KvmBackend.Unknown)]
    [InlineData(new string[0], KvmBackend.Unknown)]
    public void Backend_is_read_from_the_loaded_vendor_module(string[] modules, KvmBackend expected)
    {
        DirectoryInfo root = Directory.CreateTempSubdirectory("vireo-sysfs-");
        try
        {
            foreach (string module in modules)
            {
                Directory.CreateDirectory(Path.Combine(root.FullName, "module", module));
            }
            Assert.Equal(expected, KvmSystem.DetectBackend(root.FullName, System.Runtime.InteropServices.Architecture.X64));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "kvm" }, KvmBackend.Arm64)]
    [InlineData(new string[0], KvmBackend.Unknown)]
    public void On_arm64_a_built_in_KVM_is_the_backend(string[] modules, KvmBackend expected)
    {
        DirectoryInfo root = Directory.CreateTempSubdirectory("vireo-sysfs-");
        try
        {
            foreach (string module in modules)
            {
                Directory.CreateDirectory(Path.Combine(root.FullName, "module", module));
            }
            Assert.Equal(expected, KvmSystem.DetectBackend(root.FullName, System.Runtime.InteropServices.Architecture.Arm64));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
