namespace Vireo.Sys.Tests;

public sealed class FileDescriptorFlagsTests
{
    [Fact]
    public void NonBlockingBelongsToTheOpenFileSoDuplicatesShareIt()
    {
        using EventFd fd = EventFd.Create(nonBlocking: false);
        using SafeFd copy = FileDescriptor.Duplicate(fd.Handle);
        Assert.False(FileDescriptor.IsNonBlocking(copy));

        FileDescriptor.SetNonBlocking(copy);

        Assert.True(FileDescriptor.IsNonBlocking(fd.Handle));
        // Non-blocking now: an empty eventfd reads as "nothing" instead of waiting.
        Assert.Equal(0UL, fd.TryRead());
        FileDescriptor.SetNonBlocking(copy);
        Assert.True(FileDescriptor.IsNonBlocking(copy));
    }
}
