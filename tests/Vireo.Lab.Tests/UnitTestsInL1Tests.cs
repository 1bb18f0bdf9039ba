using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>How <see cref="UnitTestsInL1"/> picks the tests it carries into L1: by attribute,
/// read from an assembly's metadata (here this assembly's own).</summary>
public sealed class UnitTestsInL1Tests
{
    [AttributeUsage(AttributeTargets.Method)]
    private sealed class NeedsThingAttribute : Attribute;

    private static class Sample
    {
        [NeedsThing]
        public static void Marked()
        {
        }

        public static void Unmarked()
        {
        }
    }

    [NeedsThing]
    private static void MarkedAtTopLevel()
    {
    }

    [Fact]
    public void Methods_carrying_the_attribute_are_named_as_xunit_names_them_and_no_others()
    {
        Sample.Marked();
        Sample.Unmarked();
        MarkedAtTopLevel();

        IReadOnlyList<string> methods = UnitTestsInL1.MethodsWithAttribute(typeof(UnitTestsInL1Tests).Assembly.Location,
            new HashSet<string>(StringComparer.Ordinal) { nameof(NeedsThingAttribute) });

        Assert.Equal(
            [
                "Vireo.Lab.Tests.UnitTestsInL1Tests+Sample.Marked",
                "Vireo.Lab.Tests.UnitTestsInL1Tests.MarkedAtTopLevel",
            ],
            methods);
    }

    [Fact]
    public void The_kvm_attributes_are_the_ones_test_support_defines()
    {
        Assert.Contains(nameof(Vireo.TestSupport.KvmFactAttribute), UnitTestsInL1.KvmAttributes);
        Assert.Contains(nameof(Vireo.TestSupport.KvmTheoryAttribute), UnitTestsInL1.KvmAttributes);
    }

    [Fact]
    public void A_file_that_is_not_an_assembly_is_refused_by_name()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a PE file");
            Assert.ThrowsAny<Exception>(() => UnitTestsInL1.MethodsWithAttribute(path, UnitTestsInL1.KvmAttributes));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
