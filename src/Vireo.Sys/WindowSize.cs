using System.Runtime.InteropServices;

namespace Vireo.Sys;

/// <summary>The kernel's struct winsize (asm-generic/termios.h), what TIOCGWINSZ reads and
/// TIOCSWINSZ writes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WindowSize
{
    public ushort Rows;
    public ushort Columns;
    public ushort XPixels;
    public ushort YPixels;

    /// <summary>TIOCGWINSZ: read a terminal's size.</summary>
    public const uint Get = 0x5413;

    /// <summary>TIOCSWINSZ: set a terminal's size.</summary>
    public const uint Set = 0x5414;
}
