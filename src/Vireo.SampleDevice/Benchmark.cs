using System.Buffers.Binary;
using System.Diagnostics;
using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.SampleDevice;

/// <summary>
/// Region round trips and DMA throughput with the client here and the sample device served by
/// a child process (this executable with --socket), each beside a reference measured in the
/// same run: a bare socket ping-pong of the same message sizes with a child that only echoes
/// (bench-echo), the same server on a thread of this process, and the copy itself done here.
/// </summary>
public static class Benchmark
{
    private const ulong GuestBase = 0x1_0000_0000;
    private const int CopyBytes = 1024 * 1024;

    // A 4-byte REGION_WRITE is header + region access + data out and header + region access
    // back; a REGION_READ the other way round (vfio-user.rst "REGION_READ", "REGION_WRITE").
    private const int ShortFrame = MessageHeader.Size + RegionAccess.Length;
    private const int LongFrame = ShortFrame + 4;

    // A DMA_READ reply and a DMA_WRITE command each carry a DmaAccess header and the data.
    private const int DmaFrame = MessageHeader.Size + 16 + CopyBytes;

    /// <summary><paramref name="roundTrips"/> region round trips per measurement (even, at
    /// least 2); the DMA measurements copy 1 MiB a hundredth as many times (at least 2). Each
    /// figure and its reference are measured in turn, <paramref name="rounds"/> times, and the
    /// medians reported: on a shared machine, load shifts between two back-to-back runs.</summary>
    public static BenchmarkResult Run(int roundTrips, int rounds = 1)
    {
        if (roundTrips < 2)
        {
            throw new ArgumentException("bench: --count must be 2 or more");
        }
        if (rounds < 1)
        {
            throw new ArgumentException("bench: --rounds must be 1 or more");
        }
        int pairs = roundTrips / 2;
        int copies = Math.Max(2, roundTrips / 100);
        using var echo = new Child("bench-echo");
        using var device = new Child();
        using UnixSocket raw = UnixSocket.Connect(echo.Socket);
        using var inProcess = new InProcessServer();
        using VfioUserClient client = VfioUserClient.Connect(device.Socket, new VfioUserClientOptions { DmaTarget = new ArrayMemory(GuestBase, 2 * CopyBytes) });
        // Sealable, as QEMU's memfd backends are: the server seals it against shrinking and
        // maps it (an unsealable file would be reached by pread/pwrite, a different figure).
        using SafeFd ram = MemFd.Create("bench-guest", 2 * CopyBytes, allowSealing: true);
        var figures = new List<double>[7];
        for (int i = 0; i < figures.Length; i++)
        {
            figures[i] = [];
        }
        for (int round = 0; round < rounds; round++)
        {
            figures[0].Add(RoundTrips(client, pairs));
            figures[1].Add(RoundTrips(inProcess.Client, pairs));
            figures[2].Add(RawPingPong(raw, pairs));
            client.DmaMap(GuestBase, 2 * CopyBytes, DmaMapFlags.Read | DmaMapFlags.Write, ram);
            figures[3].Add(Copies(client, copies));
            client.DmaUnmap(GuestBase, 2 * CopyBytes);
            figures[4].Add(LocalCopies(copies));
            client.DmaMap(GuestBase, 2 * CopyBytes, DmaMapFlags.Read | DmaMapFlags.Write);
            figures[5].Add(Copies(client, copies));
            client.DmaUnmap(GuestBase, 2 * CopyBytes);
            figures[6].Add(RawEcho(raw, copies));
        }
        double[] m = [.. figures.Select(Median)];
        return new BenchmarkResult(2 * pairs, copies, CopyBytes, rounds, m[0], m[1], m[2], m[3], m[4], m[5], m[6]);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[(n / 2) - 1] + values[n / 2]) / 2;
    }

    /// <summary>The DMA engine's registers: copy 1 MiB from the first half of the guest range
    /// to the second.</summary>
    private static void Program(VfioUserClient client)
    {
        Span<byte> address = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(address, GuestBase);
        client.WriteRegion(0, AcceleratorDevice.RegSource, address);
        BinaryPrimitives.WriteUInt64LittleEndian(address, GuestBase + CopyBytes);
        client.WriteRegion(0, AcceleratorDevice.RegDestination, address);
        client.WriteRegionU32(0, AcceleratorDevice.RegLength, CopyBytes);
    }

    /// <summary>Microseconds per round trip, alternating a 4-byte register write and read.</summary>
    private static double RoundTrips(VfioUserClient client, int pairs)
    {
        void Pair()
        {
            // Writing 0 to the write-1-to-clear status changes nothing; the DMA set-up stays.
            client.WriteRegionU32(0, AcceleratorDevice.RegStatus, 0);
            client.ReadRegionU32(0, AcceleratorDevice.RegId);
        }
        return Time(Pair, pairs) / 2;
    }

    /// <summary>The same bytes as <see cref="RoundTrips"/> through a peer that only echoes.</summary>
    private static double RawPingPong(UnixSocket socket, int pairs)
    {
        byte[] longFrame = Frame(LongFrame);
        byte[] shortFrame = Frame(ShortFrame);
        byte[] back = new byte[LongFrame];
        void Pair()
        {
            socket.Send(longFrame);
            Expect(socket, back.AsSpan(0, LongFrame));
            socket.Send(shortFrame);
            Expect(socket, back.AsSpan(0, ShortFrame));
        }
        return Time(Pair, pairs) / 2;
    }

    /// <summary>MiB/s of 1 MiB copies by the device's DMA engine, doorbell to completion.</summary>
    private static double Copies(VfioUserClient client, int copies)
    {
        Program(client);
        uint before = client.ReadRegionU32(0, AcceleratorDevice.RegCompleted);
        uint completed = before;
        void Copy()
        {
            client.WriteRegionU32(0, AcceleratorDevice.RegDoorbell, 1);
            // The engine copies after the doorbell's reply, as hardware would: a copy is done
            // when the completion counter moves.
            uint target = completed + 1;
            while ((completed = client.ReadRegionU32(0, AcceleratorDevice.RegCompleted)) != target)
            {
                if ((client.ReadRegionU32(0, AcceleratorDevice.RegStatus) & AcceleratorDevice.StatusError) != 0)
                {
                    throw new InvalidOperationException("bench: the device reported a DMA error");
                }
            }
        }
        double us = Time(Copy, copies);
        // Every doorbell must have been a whole copy, or the figure would be meaningless.
        uint done = client.ReadRegionU32(0, AcceleratorDevice.RegCompleted) - before;
        if ((client.ReadRegionU32(0, AcceleratorDevice.RegStatus) & AcceleratorDevice.StatusError) != 0 || done != (uint)(copies + WarmUp(copies)))
        {
            throw new InvalidOperationException($"bench: the device completed {done} copies of {copies + WarmUp(copies)}, or reported a DMA error");
        }
        return MiBps(us);
    }

    /// <summary>What the device's copy costs without vfio-user: guest memory to a buffer and back
    /// out, as <see cref="AcceleratorDevice"/> does it, from a shared memfd mapping.</summary>
    private static unsafe double LocalCopies(int copies)
    {
        using SafeFd ram = MemFd.Create("bench-local", 2 * CopyBytes);
        using MappedMemory map = MappedMemory.MapShared(ram, 2 * CopyBytes);
        byte[] buffer = new byte[CopyBytes];
        byte* start = (byte*)map.DangerousGetAddress();
        void Copy()
        {
            // Safe: both spans lie inside the 2 MiB mapping, which outlives the loop.
            new ReadOnlySpan<byte>(start, CopyBytes).CopyTo(buffer);
            buffer.CopyTo(new Span<byte>(start + CopyBytes, CopyBytes));
        }
        return MiBps(Time(Copy, copies));
    }

    /// <summary>MiB/s of 1 MiB frames (with DMA message headers) echoed: the bytes a
    /// message-DMA copy moves, DMA_READ reply in and DMA_WRITE out.</summary>
    private static double RawEcho(UnixSocket socket, int copies)
    {
        byte[] frame = Frame(DmaFrame);
        byte[] back = new byte[DmaFrame];
        void Echo()
        {
            socket.Send(frame);
            Expect(socket, back);
        }
        return MiBps(Time(Echo, copies));
    }

    /// <summary>Microseconds per call after a warm-up (the JIT, first faults of buffers).</summary>
    private static double Time(Action step, int count)
    {
        for (int i = 0; i < WarmUp(count); i++)
        {
            step();
        }
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            step();
        }
        return clock.Elapsed.TotalMicroseconds / count;
    }

    private static int WarmUp(int count) => Math.Min(count, 50);

    private static double MiBps(double usPerCopy) => CopyBytes / (1024.0 * 1024.0) / (usPerCopy / 1e6);

    private static byte[] Frame(int size)
    {
        byte[] frame = new byte[size];
        new MessageHeader(1, VfioUserCommand.RegionWrite, (uint)size, MessageFlags.Command, 0).Write(frame);
        return frame;
    }

    private static void Expect(UnixSocket socket, Span<byte> buffer)
    {
        if (!EchoPeer.ReadExactly(socket, buffer))
        {
            throw new InvalidOperationException("bench: the echo peer closed the connection");
        }
    }

    /// <summary>The same device and server on a thread of this process, over a socketpair.</summary>
    private sealed class InProcessServer : IDisposable
    {
        private readonly AcceleratorDevice _device = new();
        private readonly Thread _thread;

        public InProcessServer()
        {
            var server = new VfioUserServer(_device);
            (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
            _thread = new Thread(() => server.Serve(serverEnd)) { IsBackground = true, Name = "bench server" };
            _thread.Start();
            Client = VfioUserClient.Open(clientEnd);
        }

        public VfioUserClient Client { get; }

        public void Dispose()
        {
            Client.Dispose();
            _thread.Join(TimeSpan.FromSeconds(10));
            _device.Dispose();
        }
    }

    /// <summary>This executable in a child process, serving on a fresh socket path.</summary>
    private sealed class Child : IDisposable
    {
        private readonly Process _process;

        public Child(string? mode = null)
        {
            Socket = Path.Combine("/tmp", $"vireo-bench-{Environment.ProcessId}-{mode ?? "device"}.sock");
            string self = Environment.ProcessPath ?? throw new InvalidOperationException("bench: no process path");
            var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true };
            if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "vireo-device.dll"));
            }
            if (mode is not null)
            {
                start.ArgumentList.Add(mode);
            }
            start.ArgumentList.Add("--socket");
            start.ArgumentList.Add(Socket);
            _process = Process.Start(start) ?? throw new InvalidOperationException("bench: cannot start a child process");
            string? ready = _process.StandardOutput.ReadLine();
            if (ready is null || !ready.StartsWith("listening", StringComparison.Ordinal))
            {
                Dispose();
                throw new InvalidOperationException($"bench: the {mode ?? "device"} child did not start: {_process.StandardError.ReadToEnd()}");
            }
        }

        public string Socket { get; }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
            _process.WaitForExit(5000);
            _process.Dispose();
            File.Delete(Socket);
        }
    }

    private sealed class ArrayMemory(ulong baseAddress, int size) : IVfioUserDmaTarget
    {
        private readonly byte[] _bytes = new byte[size];

        public void Read(ulong address, Span<byte> destination) => _bytes.AsSpan(checked((int)(address - baseAddress)), destination.Length).CopyTo(destination);

        public void Write(ulong address, ReadOnlySpan<byte> source) => source.CopyTo(_bytes.AsSpan(checked((int)(address - baseAddress))));

        // Lent, as a VMM's guest memory would be: the message data moves without a copy here.
        public bool TryGetSpan(ulong address, int length, bool forWrite, out Span<byte> memory)
        {
            memory = _bytes.AsSpan(checked((int)(address - baseAddress)), length);
            return true;
        }
    }
}
