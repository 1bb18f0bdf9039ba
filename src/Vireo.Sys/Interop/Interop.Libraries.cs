namespace Vireo.Sys;

internal static partial class Interop
{
    // glibc by its soname: "libc" alone would make the loader try libc.so, which on Debian is a
    // linker script, not an ELF object.
    internal const string Libc = "libc.so.6";
}
