using Vireo.Lab;

namespace Vireo.Lab.Tests;

public sealed class CacheFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Writers_of_one_path_at_once_each_use_their_own_temporary_and_the_file_is_whole()
    {
        // Two fixtures building the same guest into the cache at the same moment.
        string path = _temp.Combine("guest.cpio.gz");
        byte[] content = [.. Enumerable.Range(0, 1 << 20).Select(i => (byte)i)];
        using var bothWriting = new Barrier(2);
        Task Build() => Task.Run(() => CacheFile.Write(path, (Stream file) =>
        {
            file.Write(content, 0, content.Length / 2);
            Assert.True(bothWriting.SignalAndWait(TimeSpan.FromSeconds(30)), "the other writer never started");
            file.Write(content, content.Length / 2, content.Length - content.Length / 2);
        }));

        await Task.WhenAll(Build(), Build());

        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void A_failed_build_leaves_neither_the_file_nor_its_temporary()
    {
        string path = _temp.Combine("tool");
        Assert.Throws<InvalidOperationException>(() => CacheFile.Write(path, (string temporary) =>
        {
            File.WriteAllText(temporary, "half");
            throw new InvalidOperationException("gcc failed");
        }));

        Assert.Empty(Directory.GetFiles(_temp.Path));
    }
}
