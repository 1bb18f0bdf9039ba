using Vireo.Sys;

namespace Vireo.Devices;

/// <summary>A device was inserted over a range another device already occupies.</summary>
public sealed class BusConflictException(string message) : VireoException(message);
