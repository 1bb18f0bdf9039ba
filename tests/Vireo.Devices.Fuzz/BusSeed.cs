namespace Vireo.Devices.Fuzz;

/// <summary>One seed of the bus corpus: its file name, its bytes, the device it is about (by the
/// name it was inserted under) and what must show that it reached it.</summary>
/// <param name="Name">The file name in corpus/bus/.</param>
/// <param name="Bytes">The input.</param>
/// <param name="Device">The bus device its accesses must reach.</param>
/// <param name="Effect">What its run must show, in words.</param>
/// <param name="Reached">Whether a run showed it.</param>
public sealed record BusSeed(string Name, byte[] Bytes, string Device, string Effect, Func<BusRunResult, bool> Reached);
