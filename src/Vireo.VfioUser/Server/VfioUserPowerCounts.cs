namespace Vireo.VfioUser;

/// <summary>What the server has seen of the Vireo low-power extension since it was created (all
/// clients together): what a test or a demo reads to prove a guest's D3cold reached the device
/// and its wake came back.</summary>
/// <param name="Entries">LOW_POWER_ENTRY requests that put the device in low power.</param>
/// <param name="EntriesWithWakeup">LOW_POWER_ENTRY_WITH_WAKEUP requests that put the device in low power.</param>
/// <param name="Exits">Times the device left low power (LOW_POWER_EXIT, a device wake, or an access with a wake eventfd armed).</param>
/// <param name="WakesSignalled">Times the client's wake eventfd was signalled.</param>
public readonly record struct VfioUserPowerCounts(long Entries, long EntriesWithWakeup, long Exits, long WakesSignalled);
