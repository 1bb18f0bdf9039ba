using System.Runtime.CompilerServices;

namespace Vireo.Loader;

/// <summary>boot_params.e820_table: E820_MAX_ENTRIES_ZEROPAGE (128) entries.</summary>
[InlineArray(BootParams.E820MaxEntries)]
internal struct E820Table
{
    private E820Entry _first;
}
