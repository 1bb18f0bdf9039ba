namespace Vireo.TestSupport;

/// <summary>A fact that needs the arm64 C layout oracle (<see cref="CTarget.Aarch64"/>): the cross
/// compiler, qemu-aarch64 and the newer uAPI headers. It skips only where one of them is missing,
/// naming it; tools/test.sh installs and fetches all three, so in CI these always run.</summary>
public sealed class Aarch64GccFactAttribute : FactAttribute
{
    public Aarch64GccFactAttribute()
    {
        if (CTarget.Aarch64.Missing() is string missing)
        {
            Skip = $"the arm64 layout oracle is not available: {missing}";
        }
    }
}
