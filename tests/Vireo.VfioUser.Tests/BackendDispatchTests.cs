using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>The server is a dispatcher: a backend that is no PCI device at all (one 16-byte
/// trapped region, no config space model, no MSI-X) is served, gets only accesses the server
/// has checked, and hears of resets and disconnects.</summary>
public sealed class BackendDispatchTests
{
    private const int Timeout = 20_000;

    [Fact(Timeout = Timeout)]
    public Task ARawBackendIsServedAndSeesOnlyCheckedAccesses() => Task.Run(() =>
    {
        var backend = new RecordingBackend();
        var server = new VfioUserServer(backend);
        Assert.Same(server, backend.Context);
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        var thread = new Thread(() => server.Serve(serverEnd)) { IsBackground = true };
        thread.Start();
        using (VfioUserClient client = VfioUserClient.Open(clientEnd))
        {
            RegionInfo bar0 = client.GetRegionInfo(0, out SafeFd? fd);
            Assert.Null(fd);
            Assert.Equal(16UL, bar0.Size);
            Assert.Equal(RegionInfoFlags.Read | RegionInfoFlags.Write, bar0.Flags);
            Assert.Equal(0UL, client.GetRegionInfo(VfioRegionIndex.Config, out _).Size);

            client.WriteRegionU32(0, 4, 0xdeadbeef);
            Assert.Equal(0xdeadbeefu, client.ReadRegionU32(0, 4));
            // Outside the region, or a region the backend does not have: the server refuses it
            // and the backend never sees it.
            Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => client.ReadRegionU32(0, 14)).Errno);
            Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => client.ReadRegionU32(VfioRegionIndex.Config, 0)).Errno);
            Assert.Equal(Errno.EINVAL, Assert.Throws<VfioUserException>(() => client.IrqAction(VfioIrqIndex.Msix, IrqSetFlags.ActionTrigger, 0, 1)).Errno);
            client.Reset();
            Assert.Equal(0u, client.ReadRegionU32(0, 4));
        }
        Assert.True(thread.Join(TimeSpan.FromSeconds(5)));
        Assert.Equal(["write 0+4@4", "read 0+4@4", "reset", "read 0+4@4", "disconnected"], backend.Calls);
    });

    private sealed class RecordingBackend : IVfioUserBackend
    {
        private readonly byte[] _registers = new byte[16];

        public IVfioUserBackendContext? Context { get; private set; }

        public List<string> Calls { get; } = [];

        public IReadOnlyList<IoEventFdDeclaration> IoEventFds => [];

        public bool SupportsMigration => false;

        public bool IntxAsserted => false;

        public void Attach(IVfioUserBackendContext context) => Context = context;

        public ulong RegionSize(uint region) => region == 0 ? 16UL : 0;

        public VfioUserRegionMapping? RegionMapping(uint region) => null;

        public int IrqCount(VfioIrqIndex index) => 0;

        public bool IsIrqMasked(VfioIrqIndex index, int vector) => false;

        public void RegionRead(uint region, ulong offset, Span<byte> data)
        {
            Calls.Add($"read {region}+{data.Length}@{offset}");
            _registers.AsSpan((int)offset, data.Length).CopyTo(data);
        }

        public void RegionWrite(uint region, ulong offset, ReadOnlySpan<byte> data)
        {
            Calls.Add($"write {region}+{data.Length}@{offset}");
            data.CopyTo(_registers.AsSpan((int)offset));
        }

        public void Reset()
        {
            Calls.Add("reset");
            Array.Clear(_registers);
        }

        public void LowPowerChanged(bool lowPower, bool mappingsRevoked) => Calls.Add($"low power {lowPower}");

        public void MigrationStateChanged(MigrationState from, MigrationState to) => Calls.Add("migration");

        public byte[] SaveState() => [];

        public void LoadState(ReadOnlySpan<byte> state)
        {
        }

        public void ClientDisconnected() => Calls.Add("disconnected");
    }
}
