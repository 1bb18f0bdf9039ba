using System.Runtime.InteropServices;
using System.Text;

namespace Vireo.Api.Http;

/// <summary>
/// Where the API socket is bound before anyone can reach it. bind(2) creates the socket file with
/// the process umask, and changing the umask around the bind would affect every thread of the
/// VMM; so the server binds inside a fresh 0700 directory beside the final path, the socket gets its
/// mode (and owner and group, if asked) there, and only then is it renamed into place. A socket
/// whose mode cannot be set is an error, never served with whatever the umask left.
/// </summary>
internal sealed partial class PrivateSocketDirectory : IDisposable
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const string SocketName = "s";

    private PrivateSocketDirectory(string path)
    {
        Path = path;
        SocketPath = System.IO.Path.Combine(path, SocketName);
    }

    /// <summary>The private directory.</summary>
    public string Path { get; }

    /// <summary>Where to bind: inside <see cref="Path"/>.</summary>
    public string SocketPath { get; }

    /// <summary>Creates a 0700 directory beside <paramref name="finalPath"/>, on the same file
    /// system so the rename is atomic.</summary>
    public static PrivateSocketDirectory Create(string finalPath)
    {
        string parent = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(finalPath))
            ?? throw new ArgumentException($"API socket path '{finalPath}' has no directory", nameof(finalPath));
        for (int attempt = 0; ; attempt++)
        {
            // Short, so the temporary socket path fits sockaddr_un wherever the final one does, or nearly.
            // Random.Shared, not RandomNumberGenerator: that one loads OpenSSL, which a minimal host
            // (the lab's L1) lacks, and the NativeAOT runtime aborts the process without it. The
            // name need not be secret: mkdir with 0700 fails on a name someone else took first.
            string path = System.IO.Path.Combine(parent, ".v" + Random.Shared.Next(0x100_0000).ToString("x6", System.Globalization.CultureInfo.InvariantCulture));
            var directory = new PrivateSocketDirectory(path);
            int length = Encoding.UTF8.GetByteCount(directory.SocketPath);
            if (length > SocketFile.MaxPathBytes)
            {
                throw new ArgumentException(
                    $"API socket path '{finalPath}' is too long: the socket is created in a private directory beside it first, which needs {length} of the {SocketFile.MaxPathBytes} bytes a UNIX socket address holds; choose a shorter path",
                    nameof(finalPath));
            }
            if (Directory.Exists(path) || File.Exists(path))
            {
                if (attempt < 8)
                {
                    continue;
                }
                throw new IOException($"cannot create a private directory for the API socket in {parent}");
            }
            Directory.CreateDirectory(path, DirectoryMode);
            // The umask can only have removed bits; make it exactly owner-only.
            File.SetUnixFileMode(path, DirectoryMode);
            return directory;
        }
    }

    /// <summary>Gives the bound socket <paramref name="mode"/> and, when set, <paramref name="userId"/>
    /// and <paramref name="groupId"/>, then renames it to <paramref name="finalPath"/> (refusing to
    /// replace anything that appeared there meanwhile). Throws <see cref="IOException"/> when any
    /// step fails.</summary>
    public void Publish(string finalPath, UnixFileMode mode, uint? userId, uint? groupId)
    {
        try
        {
            File.SetUnixFileMode(SocketPath, mode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot set the mode of the API socket to {Octal(mode)}: {e.Message}", e);
        }
        if (userId is not null || groupId is not null)
        {
            // (uid_t)-1 and (gid_t)-1 leave that id unchanged (chown(2)).
            if (Chown(SocketPath, userId ?? uint.MaxValue, groupId ?? uint.MaxValue) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new IOException(
                    $"cannot give the API socket owner {userId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(unchanged)"} and group {groupId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(unchanged)"}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }
        try
        {
            File.Move(SocketPath, finalPath, overwrite: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot move the API socket into place at {finalPath}: {e.Message}", e);
        }
    }

    /// <summary>Removes the directory and a socket still inside it (one that was never published).</summary>
    public void Dispose()
    {
        try
        {
            if (File.Exists(SocketPath))
            {
                File.Delete(SocketPath);
            }
            Directory.Delete(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: an empty hidden directory is all that can remain.
        }
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode, 8);

    // chown(2). Vireo.Sys is the home of interop; this one call lives here until it moves there.
    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, uint owner, uint group);
}
