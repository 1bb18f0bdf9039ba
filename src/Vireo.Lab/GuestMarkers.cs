namespace Vireo.Lab;

/// <summary>Lines the default guest's /init prints on its console, for people and for tests.</summary>
public static class GuestMarkers
{
    /// <summary>Printed once userspace runs, followed by facts: "… cpus=N".</summary>
    public const string Ready = "@@VIREO-GUEST@@ ready";

    /// <summary>The kernel parameter (an init environment variable) carrying a base64 shell script
    /// that /init runs before the interactive shell.</summary>
    public const string ScriptParameter = "vireoscript";
}
