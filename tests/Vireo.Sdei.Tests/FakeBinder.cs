namespace Vireo.Sdei.Tests;

/// <summary>INTIDs below 32 are PPIs, 32..1019 SPIs; 1020+ are not bindable; <see cref="Busy"/> ones are denied.</summary>
internal sealed class FakeBinder : ISdeiInterruptBinder
{
    public HashSet<uint> Bound { get; } = [];

    public HashSet<uint> Busy { get; } = [];

    public bool Full { get; set; }

    public List<uint> Released { get; } = [];

    public (int PrivateSlots, int SharedSlots) FreeSlots { get; set; } = (16, 988);

    public SdeiBindOutcome Bind(uint intid)
    {
        if (intid < 16 || intid >= 1020)
        {
            return SdeiBindOutcome.NotBindable;
        }

        if (Busy.Contains(intid) || Bound.Contains(intid))
        {
            return SdeiBindOutcome.Denied;
        }

        if (Full)
        {
            return SdeiBindOutcome.OutOfResource;
        }

        Bound.Add(intid);
        return intid < 32 ? SdeiBindOutcome.Private : SdeiBindOutcome.Shared;
    }

    public void Release(uint intid)
    {
        Assert.True(Bound.Remove(intid), $"release of unbound INTID {intid}");
        Released.Add(intid);
    }
}
