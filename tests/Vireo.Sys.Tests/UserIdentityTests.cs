using Vireo.Sys;

namespace Vireo.Sys.Tests;

/// <summary>--user's USER[:GROUP]: names and numbers, the primary group, and every refusal.</summary>
public sealed class UserIdentityTests
{
    private static UserIdentity Parse(string spec) => UserIdentity.Parse(spec,
        name => name switch { "vireo" => (1000u, 1001u), "root" => (0u, 0u), _ => null },
        uid => uid == 1000 ? 1001u : null,
        name => name == "kvm" ? 993u : null);

    [Theory]
    [InlineData("vireo", 1000u, 1001u)]
    [InlineData("vireo:kvm", 1000u, 993u)]
    [InlineData("vireo:7", 1000u, 7u)]
    [InlineData("1000", 1000u, 1001u)]
    [InlineData("2000:2000", 2000u, 2000u)]
    public void Names_and_numbers_resolve(string spec, uint uid, uint gid)
    {
        Assert.Equal(new UserIdentity(uid, gid), Parse(spec));
    }

    [Theory]
    [InlineData("root", "is root")]
    [InlineData("0:5", "is root")]
    [InlineData("nobody-here", "no user named 'nobody-here'")]
    [InlineData("vireo:nogroup-here", "no group named 'nogroup-here'")]
    [InlineData("2000", "user 2000 has no passwd entry")]
    [InlineData("a:b:c", "is not USER or USER:GROUP")]
    [InlineData(":kvm", "is not USER or USER:GROUP")]
    [InlineData("vireo:", "is not USER or USER:GROUP")]
    [InlineData("", "is not USER or USER:GROUP")]
    public void Bad_specs_are_refused_saying_why(string spec, string reason)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => Parse(spec));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void The_host_databases_answer_for_real_users()
    {
        // Debian's base-passwd: nobody is 65534 with group nogroup (65534); root is refused.
        Assert.Equal(new UserIdentity(65534, 65534), UserIdentity.Parse("nobody"));
        Assert.Equal(new UserIdentity(65534, 0), UserIdentity.Parse("nobody:root"));
        Assert.Contains("is root", Assert.Throws<ArgumentException>(() => UserIdentity.Parse("root")).Message);
    }

    [Fact]
    public void Every_thread_of_this_process_is_listed_with_its_ids()
    {
        IReadOnlyList<ProcessPrivileges.ThreadCredentials> threads = ProcessPrivileges.Threads();
        Assert.Contains(threads, t => t.Id == Environment.ProcessId);
        Assert.All(threads, t => Assert.Equal(4, t.Uids.Count));
        Assert.All(threads, t => Assert.Equal(4, t.Gids.Count));
    }
}
