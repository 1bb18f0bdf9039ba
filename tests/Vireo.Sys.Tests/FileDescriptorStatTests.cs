namespace Vireo.Sys.Tests;

/// <summary>fstat's st_mode and st_size, read from an opaque buffer at fixed offsets, checked by
/// what they say about files whose kind and size are known.</summary>
public sealed class FileDescriptorStatTests
{
    [Fact]
    public void A_memfd_is_a_regular_file_of_its_truncated_size()
    {
        using SafeFd memfd = MemFd.Create("vireo-stat-test", 4096);
        FileDescriptor.Truncate(memfd, 12345);

        Assert.True(FileDescriptor.IsRegularFile(memfd));
        Assert.Equal(12345, FileDescriptor.GetSize(memfd));
    }

    [Fact]
    public void An_eventfd_and_a_character_device_are_not_regular_files()
    {
        using EventFd eventFd = EventFd.Create();
        using SafeFd zero = SafeFd.Open("/dev/zero", OpenFlags.ReadOnly);

        Assert.False(FileDescriptor.IsRegularFile(eventFd.Handle));
        Assert.False(FileDescriptor.IsRegularFile(zero));
    }
}
