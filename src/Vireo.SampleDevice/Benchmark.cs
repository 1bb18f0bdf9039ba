using System.Diagnostics;
using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.SampleDevice;

/// <summary>Region round trips per second and DMA throughput, with the device served by a
/// child process (this executable with --socket) and the client here.</summary>
public static class Benchmark
{
    private const ulong GuestBase = 0x1_0000_0000;
    private const int Buffer = 1024 * 1024;

    public static void Run(TimeSpan duration, TextWriter output)
    {
        string socket = Path.Combine("/tmp", $"vireo-bench-{Environment.ProcessId}.sock");
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "vireo-device.dll"));
        }
        start.ArgumentList.Add("--socket");
        start.ArgumentList.Add(socket);
        using Process server = Process.Start(start) ?? throw new InvalidOperationException("cannot start the server");
        try
        {
            string? ready = server.StandardOutput.ReadLine();
            if (ready is null || !ready.StartsWith("listening", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"server did not start: {server.StandardError.ReadToEnd()}");
            }
            using VfioUserClient client = VfioUserClient.Connect(socket, new VfioUserClientOptions { DmaTarget = new ArrayMemory(GuestBase, 2 * Buffer) });
            Measure(output, "region write+read round trips", duration, () =>
            {
                client.WriteRegionU32(0, AcceleratorDevice.RegLength, 4);
                client.ReadRegionU32(0, AcceleratorDevice.RegLength);
                return 2;
            }, "ops/s");

            using SafeFd ram = MemFd.Create("bench-guest", 2 * Buffer);
            client.DmaMap(GuestBase, 2 * Buffer, DmaMapFlags.Read | DmaMapFlags.Write, ram);
            Program(client, Buffer);
            Measure(output, "DMA copy, mmap'd guest memory", duration, () =>
            {
                client.WriteRegionU32(0, AcceleratorDevice.RegDoorbell, 1);
                return Buffer;
            }, "B/s");
            client.DmaUnmap(GuestBase, 2 * Buffer);

            client.DmaMap(GuestBase, 2 * Buffer, DmaMapFlags.Read | DmaMapFlags.Write);
            Measure(output, "DMA copy, DMA_READ/DMA_WRITE messages", duration, () =>
            {
                client.WriteRegionU32(0, AcceleratorDevice.RegDoorbell, 1);
                return Buffer;
            }, "B/s");
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill();
            }
            server.WaitForExit(5000);
            File.Delete(socket);
        }
    }

    private static void Program(VfioUserClient client, uint length)
    {
        Span<byte> address = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(address, GuestBase);
        client.WriteRegion(0, AcceleratorDevice.RegSource, address);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(address, GuestBase + Buffer);
        client.WriteRegion(0, AcceleratorDevice.RegDestination, address);
        client.WriteRegionU32(0, AcceleratorDevice.RegLength, length);
    }

    private static void Measure(TextWriter output, string name, TimeSpan duration, Func<long> step, string unit)
    {
        for (int i = 0; i < 10; i++)
        {
            step();
        }
        long total = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            total += step();
        }
        double rate = total / clock.Elapsed.TotalSeconds;
        output.WriteLine(unit == "B/s" ? $"{name}: {rate / (1024 * 1024):F1} MiB/s" : $"{name}: {rate:F0} {unit}");
    }

    private sealed class ArrayMemory(ulong baseAddress, int size) : IVfioUserDmaTarget
    {
        private readonly byte[] _bytes = new byte[size];

        public void Read(ulong address, Span<byte> destination) => _bytes.AsSpan(checked((int)(address - baseAddress)), destination.Length).CopyTo(destination);

        public void Write(ulong address, ReadOnlySpan<byte> source) => source.CopyTo(_bytes.AsSpan(checked((int)(address - baseAddress))));
    }
}
