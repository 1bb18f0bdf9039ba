using Vireo.Lab;

namespace Vireo.LabTool;

/// <summary>`--guest` and `--kernel-flavour`, shared by `guest` and `run`.</summary>
internal static class GuestChoices
{
    public static readonly IReadOnlyDictionary<string, GuestVariant> Variants = new Dictionary<string, GuestVariant>
    {
        ["default"] = GuestVariant.Default,
        ["no-modules"] = GuestVariant.NoModules,
    };

    public static readonly IReadOnlyDictionary<string, KernelFlavour> Flavours = new Dictionary<string, KernelFlavour>
    {
        ["cloud"] = KernelFlavour.Cloud,
        ["generic"] = KernelFlavour.Generic,
    };

    public static (GuestVariant Variant, KernelFlavour Flavour) Read(LabArguments reader) =>
        (reader.Choice("--guest", GuestVariant.Default, Variants), reader.Choice("--kernel-flavour", KernelFlavour.Cloud, Flavours));
}
