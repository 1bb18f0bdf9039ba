using System.Text.RegularExpressions;

namespace Vireo.Vmm.Tests.PowerManagement;

/// <summary>What a stream of s2idle events must look like: numbered 1..n without gaps, time
/// never going back, cycles 1..k one after another, and each cycle one of
/// <c>enter abort</c>, <c>enter suspended abort</c> (reset), <c>enter [suspended] exit resumed</c>,
/// so every enter is answered by an exit or an abort and "suspended" only sits between them.</summary>
internal static partial class S2IdleEventGrammar
{
    [GeneratedRegex("^Enter (Abort|Suspended Abort|(Suspended )?Exit Resumed)$")]
    private static partial Regex ClosedCycle();

    [GeneratedRegex("^Enter( Suspended)?( Exit)?$")]
    private static partial Regex OpenCycle();

    public static void AssertWellFormed(IReadOnlyList<S2IdleEvent> events, bool lastCycleMayBeOpen = false)
    {
        for (int i = 0; i < events.Count; i++)
        {
            Assert.Equal(i + 1, events[i].Sequence);
            if (i > 0)
            {
                Assert.True(events[i].Time >= events[i - 1].Time, $"event {i + 1} is older than event {i}");
            }
            bool hasSource = events[i].Kind is S2IdleEventKind.Exit or S2IdleEventKind.Abort;
            Assert.True(hasSource == !string.IsNullOrEmpty(events[i].Source), $"event {events[i]}: source");
        }
        var cycles = new List<(long Cycle, List<S2IdleEventKind> Kinds)>();
        foreach (S2IdleEvent e in events)
        {
            if (cycles.Count == 0 || cycles[^1].Cycle != e.Cycle)
            {
                Assert.Equal(cycles.Count == 0 ? e.Cycle : cycles[^1].Cycle + 1, e.Cycle);
                cycles.Add((e.Cycle, []));
            }
            cycles[^1].Kinds.Add(e.Kind);
        }
        for (int i = 0; i < cycles.Count; i++)
        {
            string shape = string.Join(' ', cycles[i].Kinds);
            bool ok = ClosedCycle().IsMatch(shape) || (lastCycleMayBeOpen && i == cycles.Count - 1 && OpenCycle().IsMatch(shape));
            Assert.True(ok, $"cycle {cycles[i].Cycle} is '{shape}'");
        }
    }
}
