using System.Reflection;

namespace Vireo.Cli.Tests;

/// <summary>What the shipped `vireo` is made of.</summary>
public sealed class ShippedAssembliesTests
{
    [Fact]
    public void Nothing_vireo_ships_uses_the_crypto_library_that_needs_openssl()
    {
        // Minimal hosts, the lab's L1 among them, have no libssl, and the NativeAOT runtime
        // aborts the whole process ("No usable version of libssl was found") the first time
        // System.Security.Cryptography's native shim is needed: the API server once did that
        // for a random directory name, and every `vireo run --api-socket` in the lab died.
        List<Assembly> shipped = ShippedVireoAssemblies();

        Assert.Contains(shipped, a => a.GetName().Name == "Vireo.Api");
        Assert.All(shipped, a => Assert.DoesNotContain(
            a.GetReferencedAssemblies(), r => r.Name == "System.Security.Cryptography"));
    }

    [Theory]
    [InlineData("Microsoft.AspNetCore")]
    [InlineData("System.Net.Http")]
    [InlineData("System.Text.RegularExpressions")]
    public void Nothing_vireo_ships_links_what_its_footprint_was_cut_from(string library)
    {
        // Kestrel was most of the binary and of the VMM's resident memory, HttpClient most of
        // the rest (docs/BENCHMARKS.md, Footprint); NativeAOT links them even when unused.
        Assert.All(ShippedVireoAssemblies(), a => Assert.DoesNotContain(
            a.GetReferencedAssemblies(), r => r.Name!.StartsWith(library, StringComparison.Ordinal)));
    }

    [Fact]
    public void The_lab_is_not_part_of_vireo()
    {
        Assert.DoesNotContain(ShippedVireoAssemblies(), a => a.GetName().Name!.StartsWith("Vireo.Lab", StringComparison.Ordinal));
    }

    private static List<Assembly> ShippedVireoAssemblies()
    {
        var seen = new Dictionary<string, Assembly>();
        var pending = new Stack<Assembly>([typeof(CommandLine).Assembly]);
        while (pending.TryPop(out Assembly? assembly))
        {
            if (!seen.TryAdd(assembly.GetName().Name!, assembly))
            {
                continue;
            }
            foreach (AssemblyName reference in assembly.GetReferencedAssemblies())
            {
                if (reference.Name!.StartsWith("Vireo.", StringComparison.Ordinal) && !seen.ContainsKey(reference.Name))
                {
                    pending.Push(Assembly.Load(reference));
                }
            }
        }
        return [.. seen.Values];
    }
}
