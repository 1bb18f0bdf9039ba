namespace Vireo.Sys.Tests;

public sealed class SysCallTests
{
    [Fact]
    public void AFailedOpenNamesTheCallThePathAndTheErrno()
    {
        var e = Assert.Throws<ErrnoException>(() => SafeFd.Open("/nonexistent/vireo", OpenFlags.ReadOnly));

        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Equal("open /nonexistent/vireo", e.Call);
        Assert.StartsWith("open /nonexistent/vireo failed: ENOENT", e.Message);
    }

    [Fact]
    public void AnEventFdCountsSignalsAndResetsWhenRead()
    {
        using EventFd fd = EventFd.Create();

        Assert.Equal(0UL, fd.TryRead());
        fd.Signal();
        fd.Signal(4);
        Assert.Equal(5UL, fd.Wait(TimeSpan.FromSeconds(5)));
        Assert.Equal(0UL, fd.Wait(TimeSpan.FromMilliseconds(10)));
    }

    [Fact]
    public void AMemFdHasTheRequestedSizeAndIsSharedBetweenMappings()
    {
        using SafeFd fd = MemFd.Create("vireo-test", 8192);
        using MappedMemory a = MappedMemory.MapShared(fd, 8192);
        using MappedMemory b = MappedMemory.MapShared(fd, 8192);

        unsafe
        {
            // Safe: both mappings are 8192 bytes and offset 4096 is inside them.
            *(int*)(a.DangerousGetAddress() + 4096) = 0x5a5a1234;
            Assert.Equal(0x5a5a1234, *(int*)(b.DangerousGetAddress() + 4096));
        }
    }

    [Fact]
    public void IoctlNumbersEncodeDirectionSizeTypeAndNumber()
    {
        // _IOW('x', 3, 8): direction write (1) << 30 | size 8 << 16 | 'x' << 8 | 3.
        Assert.Equal((nuint)((1u << 30) | (8u << 16) | ((uint)'x' << 8) | 3), IoctlNumber.Iow('x', 3, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => IoctlNumber.Ior(0xae, 1, 1 << 14));
    }
}
