using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vireo.Sys;

/// <summary>glibc's struct termios (bits/termios-struct.h): the terminal settings saved before
/// raw mode and restored after.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Termios
{
    public uint InputFlags;
    public uint OutputFlags;
    public uint ControlFlags;
    public uint LocalFlags;
    public byte Line;
    public ControlCharacters ControlChars;
    public uint InputSpeed;
    public uint OutputSpeed;

    /// <summary>c_cc[NCCS], NCCS = 32.</summary>
    [InlineArray(32)]
    public struct ControlCharacters
    {
        private byte _first;
    }
}
