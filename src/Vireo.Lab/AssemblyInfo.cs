using System.Runtime.Versioning;

// The lab drives Debian tools (apt, dpkg, QEMU) and Unix file modes: Linux only.
[assembly: SupportedOSPlatform("linux")]
