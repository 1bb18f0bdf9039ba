namespace Vireo.Sys;

/// <summary>What direct I/O (O_DIRECT) on a file must be aligned to, in bytes: statx(2)'s
/// stx_dio_mem_align and stx_dio_offset_align.</summary>
/// <param name="Memory">The alignment of user buffers' addresses (and lengths, which must also
/// be multiples of <paramref name="Offset"/>).</param>
/// <param name="Offset">The alignment of file offsets and lengths.</param>
public readonly record struct DirectIoAlignment(int Memory, int Offset);
