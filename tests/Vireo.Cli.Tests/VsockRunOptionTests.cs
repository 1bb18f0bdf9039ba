namespace Vireo.Cli.Tests;

/// <summary>`vireo run --vsock socket=PATH[,cid=N][,id=NAME][,slot=N]`: parsing and its errors.</summary>
public sealed class VsockRunOptionTests
{
    [Fact]
    public void The_socket_comes_first_and_the_cid_id_and_slot_have_defaults()
    {
        Assert.Equal(new VsockOption("/run/v.sock", 3, "vsock0", null), RunOptions.Parse(["--vsock", "socket=/run/v.sock"]).Vsock);
        Assert.Equal(new VsockOption("/run/v.sock", 42, "vs", 9), RunOptions.Parse(["--vsock", "/run/v.sock,cid=42,id=vs,slot=9"]).Vsock);
        Assert.Null(RunOptions.Parse([]).Vsock);
    }

    [Theory]
    [InlineData("--vsock cid '2' must be a number from 3 to 4294967294", "/v.sock,cid=2")]
    [InlineData("--vsock cid '4294967295' must be a number from 3 to 4294967294", "/v.sock,cid=4294967295")]
    [InlineData("--vsock cid 'x' must be a number", "/v.sock,cid=x")]
    [InlineData("--vsock takes socket=PATH[,cid=N][,id=NAME][,slot=N], not 'socket=,cid=5': socket= names no path", "socket=,cid=5")]
    [InlineData("--vsock takes socket=PATH[,cid=N][,id=NAME][,slot=N]; 'port=1' in '/v,port=1' is none of cid=N, id=NAME or slot=N", "/v,port=1")]
    public async Task A_bad_vsock_value_is_a_usage_error_that_says_what_is_wrong(string expected, string value)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int status = await CommandLine.RunAsync(["run", "--vsock", value], stdout, stderr);

        Assert.Equal(2, status);
        Assert.Empty(stdout.ToString());
        Assert.StartsWith($"vireo: run: {expected}", stderr.ToString());
    }

    [Fact]
    public async Task A_path_too_long_for_a_unix_socket_is_refused()
    {
        var stderr = new StringWriter();

        Assert.Equal(2, await CommandLine.RunAsync(["run", "--vsock", "/" + new string('s', 100)], new StringWriter(), stderr));
        Assert.Contains("is too long for a UNIX socket with a port after it", stderr.ToString());
    }

    [Fact]
    public async Task The_vsock_id_is_in_the_one_device_namespace()
    {
        var stderr = new StringWriter();

        Assert.Equal(2, await CommandLine.RunAsync(["run", "--disk", "/a,id=vsock0", "--vsock", "/v.sock"], new StringWriter(), stderr));
        Assert.Contains("device id 'vsock0' is given to a --disk and a --vsock device; give each its own id=NAME", stderr.ToString());
    }
}
