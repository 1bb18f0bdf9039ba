namespace Vireo.Sys;

/// <summary>getrandom(2): the kernel's cryptographic generator, what /dev/urandom serves, without
/// a descriptor and without System.Security.Cryptography, whose native shim needs libssl (absent
/// on minimal hosts, where NativeAOT then aborts the process).</summary>
public static class HostRandom
{
    /// <summary>Fills <paramref name="buffer"/> with random bytes; blocks only until the kernel's
    /// generator is first seeded at boot.</summary>
    /// <exception cref="ErrnoException">getrandom failed (ENOSYS on kernels before 3.17).</exception>
    public static unsafe void Fill(Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            nint got;
            fixed (byte* p = buffer)
            {
                // Safe: the span is pinned and the kernel is told its length.
                got = Interop.Sys.GetRandom(p, (nuint)buffer.Length, 0);
            }
            if (got < 0)
            {
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }
                throw new ErrnoException(errno, "getrandom");
            }
            // Requests over 32 MiB may return short; the rest is asked for again.
            buffer = buffer[(int)got..];
        }
    }
}
