namespace Vireo.VfioUser;

/// <summary>A write the device lets the client deliver by signalling an eventfd instead of a
/// REGION_WRITE (a doorbell): <see cref="Size"/> bytes at <see cref="Offset"/> of BAR
/// <see cref="Bar"/>, matching only <see cref="DataMatch"/> when it is set, any value otherwise.</summary>
public readonly record struct IoEventFdDeclaration(int Bar, ulong Offset, int Size, ulong? DataMatch);
