using System.Text;
using Vireo.Devices;
using Vireo.Memory;

namespace Vireo.Vmm.Tests.Snapshot;

/// <summary>The snapshot's files: what is saved reads back exactly, and every way a snapshot
/// directory can be missing, damaged, hostile or of another machine is refused with a message
/// that says which, before anything is restored.</summary>
public sealed class SnapshotStoreTests : IDisposable
{
    private const string Tokens = "0123456789abcdefx\"{}[],:-";
    private static readonly GuestAddress Base = new(0x4000_0000);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vireo-snapshot-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static SnapshotDocument Document(int cpus = 2, ulong memory = 4 << 20) => new()
    {
        Machine = new SnapshotMachine { Cpus = cpus, MemoryBytes = memory, Kernel = "/boot/Image", Initramfs = null, Cmdline = "console=ttyS0" },
        Vcpus = [.. Enumerable.Range(0, cpus).Select(i => new SnapshotVcpu
        {
            MpState = i == 0 ? 0u : 5u,
            Registers = [new SnapshotRegister("0x6030000000100040", SnapshotStore.Hex(BitConverter.GetBytes(0x4000_0000UL + (ulong)i)))],
        })],
        Gic = [new SnapshotDeviceRegister(1, "0x0", "0x12")],
        Uart = new Serial8250(new NoInterruptLine(), null).GetState(),
        Sdei = null,
        Gpio = new Pl061State { Direction = 0x01, InterruptBothEdges = 0x08, InterruptMask = 0x08, EdgeStatus = 0x08, Inputs = 0x08 },
    };

    private static GuestMemory Memory(ulong size = 4 << 20) => GuestMemory.Create((Base, size));

    private string Sub(string name) => Path.Combine(_dir, name);

    [Fact]
    public void WhatIsSavedLoadsBackExactlyRamIncluded()
    {
        using GuestMemory source = Memory();
        source.Write(Base, Encoding.ASCII.GetBytes("first page"));
        source.Write(new GuestAddress(Base.Value + (3 << 20) + 4093), new byte[] { 1, 2, 3, 4, 5 }); // across a page boundary
        source.Write(new GuestAddress(Base.Value + (4 << 20) - 1), (byte)0xee); // the last byte
        SnapshotDocument saved = Document();

        SnapshotStore.Save(Sub("a"), saved, source);
        SnapshotDocument loaded = SnapshotStore.Load(Sub("a"));
        using GuestMemory target = Memory();
        SnapshotStore.LoadMemory(Sub("a"), target);

        Assert.Equal(saved.Machine, loaded.Machine);
        Assert.Equal(saved.Vcpus.Select(v => (v.MpState, string.Join(',', v.Registers))), loaded.Vcpus.Select(v => (v.MpState, string.Join(',', v.Registers))));
        Assert.Equal(saved.Gic, loaded.Gic);
        Assert.Equal(saved.Uart.ToString(), loaded.Uart.ToString());
        Assert.Equal(saved.Gpio, loaded.Gpio);
        byte[] a = new byte[4 << 20];
        byte[] b = new byte[4 << 20];
        source.Read(Base, a);
        target.Read(Base, b);
        Assert.Equal(a, b);
        Assert.Equal(4 << 20, new FileInfo(Path.Combine(Sub("a"), SnapshotStore.MemoryFile)).Length);
        Assert.False(File.Exists(Path.Combine(Sub("a"), SnapshotStore.DocumentFile + ".partial")));
    }

    [Fact]
    public void ASnapshotIsNeverOverwritten()
    {
        using GuestMemory memory = Memory();
        SnapshotStore.Save(Sub("a"), Document(), memory);
        string before = File.ReadAllText(Path.Combine(Sub("a"), SnapshotStore.DocumentFile));
        memory.Write(Base, (byte)7);

        IOException e = Assert.Throws<IOException>(() => SnapshotStore.Save(Sub("a"), Document(cpus: 1), memory));

        Assert.Contains("already holds a snapshot", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(Path.Combine(Sub("a"), SnapshotStore.DocumentFile)));
        using GuestMemory check = Memory();
        SnapshotStore.LoadMemory(Sub("a"), check);
        Assert.Equal(0, check.Read<byte>(Base));
    }

    [Fact]
    public void MissingDirectoriesAndHalfWrittenSnapshotsAreNamed()
    {
        Assert.Contains("no snapshot directory", Assert.Throws<SnapshotException>(() => SnapshotStore.Load(Sub("none"))).Message, StringComparison.Ordinal);
        Directory.CreateDirectory(Sub("half"));
        File.WriteAllBytes(Path.Combine(Sub("half"), SnapshotStore.MemoryFile), new byte[4096]);
        Assert.Contains("holds no snapshot", Assert.Throws<SnapshotException>(() => SnapshotStore.Load(Sub("half"))).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json at all", "is not a snapshot document")]
    [InlineData("null", "is not a snapshot document")]
    [InlineData("{}", "is not a snapshot document")]
    [InlineData("{\"format\":\"vireo-snapshot\",\"version\":1,\"arch\":\"arm64\",\"unknown\":1}", "is not a snapshot document")]
    public void DamagedDocumentsAreRefused(string text, string expected)
    {
        Directory.CreateDirectory(Sub("bad"));
        File.WriteAllText(Path.Combine(Sub("bad"), SnapshotStore.DocumentFile), text);

        Assert.Contains(expected, Assert.Throws<SnapshotException>(() => SnapshotStore.Load(Sub("bad"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherFormatVersionOrAVcpuCountThatDisagreesIsRefused()
    {
        using GuestMemory memory = Memory();
        SnapshotStore.Save(Sub("v"), Document() with { Version = 4 }, memory);
        Assert.Contains("version 4 snapshot; this Vireo restores versions 1 to 3", Assert.Throws<SnapshotException>(() => SnapshotStore.Load(Sub("v"))).Message, StringComparison.Ordinal);
        SnapshotStore.Save(Sub("v0"), Document() with { Version = 0 }, memory);
        Assert.Contains("version 0 snapshot", Assert.Throws<SnapshotException>(() => SnapshotStore.Load(Sub("v0"))).Message, StringComparison.Ordinal);
        SnapshotStore.Save(Sub("f"), Document() with { Format = "qemu" }, memory);
        Assert.Contains("not a Vireo snapshot", Assert.Throws<SnapshotException>(() => SnapshotStore.Load(Sub("f"))).Message, StringComparison.Ordinal);
        SnapshotDocument document = Document();
        SnapshotStore.Save(Sub("c"), document with { Machine = document.Machine with { Cpus = 3 } }, memory);
        Assert.Contains("describes 3 vCPUs but holds 2", Assert.Throws<SnapshotException>(() => SnapshotStore.Load(Sub("c"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheGpioStateIsThereExactlyFromVersionTwoOn()
    {
        using GuestMemory memory = Memory();
        // Version 1: a machine before the GPIO controller; it loads, and its state is absent.
        SnapshotStore.Save(Sub("v1"), Document() with { Version = 1, Gpio = null }, memory);
        Assert.Null(SnapshotStore.Load(Sub("v1")).Gpio);
        SnapshotStore.Save(Sub("v1-gpio"), Document() with { Version = 1 }, memory);
        Assert.Contains("version 1 snapshot, which has no GPIO controller, yet holds its state",
            Assert.Throws<SnapshotException>(() => SnapshotStore.Load(Sub("v1-gpio"))).Message, StringComparison.Ordinal);
        SnapshotStore.Save(Sub("v2-none"), Document() with { Gpio = null }, memory);
        Assert.Contains("version 3 snapshot without the GPIO controller's state",
            Assert.Throws<SnapshotException>(() => SnapshotStore.Load(Sub("v2-none"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PciFunctionsAndTheItsTravelFromVersionThreeOnAndRoundTrip()
    {
        using GuestMemory memory = Memory();
        var transport = new Virtio.VirtioTransportState
        {
            Status = 0x0f,
            DriverFeatures = (1UL << 32) | (1UL << 29),
            DeviceFeatureSelect = 1,
            DriverFeatureSelect = 1,
            ConfigVector = 0,
            ConfigGeneration = 3,
            QueueSelect = 0,
            Isr = 0,
            PendingVectors = [1],
            Queues = [new Virtio.VirtioQueueState { Size = 256, Vector = 1, Enabled = true, Desc = 0x4000_1000, Driver = 0x4000_2000, Device = 0x4000_3000, NextAvail = 65535, NextUsed = 65530, SignalledUsed = 65530 }],
        };
        SnapshotPciFunction function = new()
        {
            Id = "disk0",
            Slot = 1,
            DeviceType = 2,
            Config = new string('0', 512),
            MsixTable = new string('f', 64),
            Transport = transport,
        };
        SnapshotDeviceRegister[] its = [new(8, "0x80", "0xb80000004000f401")];
        SnapshotStore.Save(Sub("v3"), Document() with { Pci = [function], Its = its }, memory);

        SnapshotDocument loaded = SnapshotStore.Load(Sub("v3"));

        SnapshotPciFunction back = Assert.Single(loaded.Pci!);
        Assert.Equal(function with { Transport = back.Transport }, back);
        Assert.Equal(transport with { PendingVectors = back.Transport.PendingVectors, Queues = back.Transport.Queues }, back.Transport);
        Assert.Equal(transport.PendingVectors, back.Transport.PendingVectors);
        Assert.Equal(transport.Queues, back.Transport.Queues);
        Assert.Equal(its, loaded.Its);
        // A version 2 document never had them.
        SnapshotStore.Save(Sub("v2-pci"), Document() with { Version = 2, Pci = [function] }, memory);
        Assert.Contains("version 2 snapshot, which has no PCI functions or ITS, yet holds their state",
            Assert.Throws<SnapshotException>(() => SnapshotStore.Load(Sub("v2-pci"))).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"inputs\": 8", "\"inputs\": 256")]
    [InlineData("\"inputs\": 8", "\"inputs\": -1")]
    [InlineData("\"inputs\": 8", "\"inputs\": \"0x08\"")]
    [InlineData("\"inputs\": 8", "\"inputs\": 8, \"pins\": 9")]
    public void GpioRegistersThatAreNotBytesAreRefusedOnLoad(string field, string hostile)
    {
        using GuestMemory memory = Memory();
        SnapshotStore.Save(Sub("g"), Document(), memory);
        string path = Path.Combine(Sub("g"), SnapshotStore.DocumentFile);
        string text = File.ReadAllText(path);
        Assert.Contains(field, text, StringComparison.Ordinal);
        File.WriteAllText(path, text.Replace(field, hostile, StringComparison.Ordinal));
        Assert.Contains("is not a snapshot document", Assert.Throws<SnapshotException>(() => SnapshotStore.Load(Sub("g"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOversizedDocumentIsRefusedWithoutBeingRead()
    {
        Directory.CreateDirectory(Sub("big"));
        using (FileStream f = File.Create(Path.Combine(Sub("big"), SnapshotStore.DocumentFile)))
        {
            f.SetLength(SnapshotStore.MaxDocumentBytes + 1); // sparse: costs no disk
        }

        Assert.Contains("more than the", Assert.Throws<SnapshotException>(() => SnapshotStore.Load(Sub("big"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARamImageOfTheWrongSizeOrNoneIsRefused()
    {
        using GuestMemory memory = Memory();
        SnapshotStore.Save(Sub("m"), Document(), memory);
        string image = Path.Combine(Sub("m"), SnapshotStore.MemoryFile);
        using (FileStream f = File.OpenWrite(image))
        {
            f.SetLength(4096); // a file smaller than the machine it claims
        }
        using GuestMemory target = Memory();
        Assert.Contains($"holds 4096 bytes of RAM; the snapshot's machine has {4 << 20}",
            Assert.Throws<SnapshotException>(() => SnapshotStore.LoadMemory(Sub("m"), target)).Message, StringComparison.Ordinal);
        File.Delete(image);
        Assert.Contains("has no RAM image", Assert.Throws<SnapshotException>(() => SnapshotStore.LoadMemory(Sub("m"), target)).Message, StringComparison.Ordinal);
    }

    /// <summary>A damaged vm.json, byte by byte: whatever a mutation makes of it, loading it
    /// either reads a document or says why not (SnapshotException); nothing else escapes.</summary>
    [Fact]
    public void MutatedDocumentsLoadOrAreRefusedNeverAnythingElse()
    {
        using GuestMemory memory = Memory();
        SnapshotStore.Save(Sub("good"), Document(), memory);
        byte[] good = File.ReadAllBytes(Path.Combine(Sub("good"), SnapshotStore.DocumentFile));
        Directory.CreateDirectory(Sub("mutant"));
        string path = Path.Combine(Sub("mutant"), SnapshotStore.DocumentFile);
        var random = new Random(16);
        int refused = 0;
        for (int i = 0; i < 2000; i++)
        {
            byte[] mutant = (byte[])good.Clone();
            int edits = 1 + random.Next(4);
            for (int e = 0; e < edits; e++)
            {
                int at = random.Next(mutant.Length);
                mutant[at] = random.Next(3) switch
                {
                    0 => (byte)random.Next(256),
                    1 => (byte)Tokens[random.Next(Tokens.Length)],
                    _ => (byte)' ',
                };
            }
            if (random.Next(10) == 0)
            {
                mutant = mutant[..random.Next(mutant.Length)];
            }
            File.WriteAllBytes(path, mutant);
            try
            {
                SnapshotStore.Load(Sub("mutant"));
            }
            catch (SnapshotException)
            {
                refused++;
            }
        }
        Assert.InRange(refused, 1000, 2000);
    }

    [Theory]
    [InlineData("12")]
    [InlineData("0x")]
    [InlineData("0xzz")]
    [InlineData("0x1ffffffffffffffff")]
    [InlineData("-0x1")]
    public void NumbersThatAreNotHex64AreRefused(string text) =>
        Assert.Contains("is not a 0x-prefixed 64-bit hex number", Assert.Throws<SnapshotException>(() => SnapshotStore.ParseNumber(text, "id")).Message, StringComparison.Ordinal);

    [Fact]
    public void RegisterValuesMustBeTheirRegistersSize()
    {
        Assert.Equal(new byte[] { 0x01, 0xab }, SnapshotStore.ParseBytes("01ab", 2, "r"));
        Assert.Contains("must be 8 bytes", Assert.Throws<SnapshotException>(() => SnapshotStore.ParseBytes("01ab", 8, "r")).Message, StringComparison.Ordinal);
        Assert.Contains("is not hex", Assert.Throws<SnapshotException>(() => SnapshotStore.ParseBytes("zz", 1, "r")).Message, StringComparison.Ordinal);
    }
}
