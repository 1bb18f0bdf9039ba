namespace Vireo.Lab.Tests;

/// <summary>A lab fact that boots Debian's generic kernel flavour: it runs only when
/// VIREO_LAB_GENERIC_KERNEL=1 puts that kernel in L1 (<see cref="L1Fixture.L2GenericKernel"/>).</summary>
public sealed class GenericKernelFactAttribute : FactAttribute
{
    public static bool Enabled => Environment.GetEnvironmentVariable(L1Fixture.GenericKernelVariable) == "1";

    public GenericKernelFactAttribute()
    {
        if (!Enabled)
        {
            Skip = $"set {L1Fixture.GenericKernelVariable}=1 to fetch Debian's generic kernel (70 MB) into the lab";
        }
    }
}
