using Vireo.Sys;

namespace Vireo.Loader;

/// <summary>A kernel or initramfs file Vireo cannot boot; the message says what is wrong with it.</summary>
public sealed class KernelImageException(string message) : VireoException(message);
