using System.Runtime.Versioning;

// UNIX sockets, file modes and KVM: Vireo runs on Linux only.
[assembly: SupportedOSPlatform("linux")]
