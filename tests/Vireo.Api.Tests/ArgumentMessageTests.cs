using Vireo.Api.Http;

namespace Vireo.Api.Tests;

/// <summary>How an ArgumentException from the VM's checks is worded for an API client.</summary>
public sealed class ArgumentMessageTests
{
    [Fact]
    public void AThrowIfRuleKeepsTheNameTheRuleAndTheValue()
    {
        Assert.Equal("gpe must be less than or equal to 15, not 200",
            ArgumentMessage.For(Catch(() => ArgumentOutOfRangeException.ThrowIfGreaterThan(200, 15, "gpe"))));
        Assert.Equal("delay must be a non-negative value, not -1",
            ArgumentMessage.For(Catch(() => ArgumentOutOfRangeException.ThrowIfNegative(-1, "delay"))));
        Assert.Equal("count must be a non-zero value, not 0",
            ArgumentMessage.For(Catch(() => ArgumentOutOfRangeException.ThrowIfZero(0, "count"))));
    }

    [Fact]
    public void AThrowersOwnReasonIsKeptWithoutWhatDotNetAppended()
    {
        Assert.Equal("gpe 200 is out of range: this VM has GPEs 0 to 15",
            ArgumentMessage.For(new ArgumentOutOfRangeException("gpe", 200, "this VM has GPEs 0 to 15.")));
        Assert.Equal("gpe 200 is out of range",
            ArgumentMessage.For(new ArgumentOutOfRangeException("gpe", 200, null)));
        Assert.Equal("invalid mode: must be one of a, b",
            ArgumentMessage.For(new ArgumentException("must be one of a, b", "mode")));
        Assert.Equal("invalid mode", ArgumentMessage.For(new ArgumentException(null, "mode")));
        Assert.Equal("something is off", ArgumentMessage.For(new ArgumentException("something is off.")));
        Assert.Equal("invalid argument", ArgumentMessage.For(new ArgumentException()));
    }

    [Fact]
    public void APhraseThatOnlyLooksLikeAThrowIfRuleIsLeftAlone()
    {
        Assert.Equal("invalid x: y (z) must be odd",
            ArgumentMessage.For(new ArgumentException("y (z) must be odd", "x")));
        Assert.Equal("invalid x: a b ('1') must be odd",
            ArgumentMessage.For(new ArgumentException("a b ('1') must be odd", "x")));
        Assert.Equal("must be small",
            ArgumentMessage.For(new ArgumentException("v ('1') must be small")));
    }

    private static ArgumentException Catch(Action action) => Assert.ThrowsAny<ArgumentException>(action);
}
