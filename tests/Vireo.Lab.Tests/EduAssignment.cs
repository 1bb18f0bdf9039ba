using System.Globalization;
using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>What every device-assignment L1 checks the same way, whichever kernel it boots and
/// whichever VMM assigns edu: the command that has L1's vireo assign edu to the default guest,
/// and the edu checker's verdict on that run's output.</summary>
internal static class EduAssignment
{
    /// <summary>The shell command in L1 that boots the default guest under L1's vireo with edu
    /// given as <c>--vfio "$edu,OPTIONS"</c> (<paramref name="vfioOptions"/>, e.g.
    /// "id=edu,backend=group"), runs the edu checker with INTx and then MSI
    /// (<see cref="QemuAssignmentInL1.GuestScript"/>), and prints edu's driver afterwards as
    /// "after: driver=NAME".</summary>
    public static string VireoCommand(string vfioOptions, int interrupts = QemuAssignmentInL1.DefaultInterrupts)
    {
        string append = "quiet " + DefaultGuest.ScriptArgument(QemuAssignmentInL1.GuestScript(interrupts));
        string run = string.Join(' ', new[]
        {
            L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M",
            "--append", append,
        }.Select(L2Command.Quote));
        return $"edu=$(cat {DeviceAssignmentInL1.EduAddressFile}) || exit 1\n" +
            $"timeout 400 {run} --vfio \"$edu,{vfioOptions}\" </dev/null; s=$?\n" +
            $"echo \"after: driver=$(basename $(readlink {DeviceAssignmentInL1.EduLink}/driver))\"\nexit $s";
    }

    /// <summary>Asserts that the edu checker ran with INTx and then with MSI in
    /// <paramref name="output"/>, each time at probe and again through its run attribute (the
    /// device still answers), and that every check passed: identification, liveness (counting
    /// the runs), factorial, DMA, and exactly <paramref name="interrupts"/> interrupts in that
    /// mode (each INTx re-armed only by the guest's EOI, so one more or fewer is a defect), 2N
    /// in the handler's total.</summary>
    public static void AssertCheckerPassedWithIntxAndMsi(string output, int interrupts = QemuAssignmentInL1.DefaultInterrupts)
    {
        string text = output.Replace("\r", "", StringComparison.Ordinal);
        int intxAt = text.IndexOf("=== edu intx ===", StringComparison.Ordinal);
        int msiAt = text.IndexOf("=== edu msi ===", StringComparison.Ordinal);
        int doneAt = text.IndexOf("=== edu done ===", StringComparison.Ordinal);
        Assert.True(intxAt >= 0 && msiAt > intxAt && doneAt > msiAt, text);
        foreach ((string mode, string part) in (ReadOnlySpan<(string, string)>)[("intx", text[intxAt..msiAt]), ("msi", text[msiAt..doneAt])])
        {
            IReadOnlyList<EduCheckLine> lines = EduChecker.Parse(part);
            Assert.Equal([.. EduChecker.Checks, .. EduChecker.Checks], lines.Select(l => l.Check));
            Assert.All(lines, l => Assert.True(l.Ok, $"{mode}: {l.Check} failed: {l.Reason}\n{text}"));
            Assert.All(lines.Where(l => l.Check == "id"), l => Assert.Equal("0x010000ed", l.Fields["value"]));
            Assert.All(lines.Where(l => l.Check == "factorial"), l => Assert.Equal("479001600", l.Fields["result"]));
            Assert.Equal(["0x5a5a0001", "0x5a5a0002"], lines.Where(l => l.Check == "liveness").Select(l => l.Fields["wrote"]));
            Assert.All(lines.Where(l => l.Check == "irq"), irq =>
            {
                Assert.Equal(interrupts.ToString(CultureInfo.InvariantCulture), irq.Fields["irqs"]);
                Assert.Equal(mode, irq.Fields["mode"]);
            });
            Assert.Contains($"handler total: {2 * interrupts}\n", part, StringComparison.Ordinal);
        }
    }
}
