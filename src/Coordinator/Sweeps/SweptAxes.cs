namespace GridSweep.Coordinator.Sweeps;

/// <summary>
/// The axes on which a sweep's trials differ: the display and the report add their labels to a cell's
/// model and regularizer, so cells that differ only there never read alike or are averaged together.
/// </summary>
public static class SweptAxes
{
    /// <summary>The axes of <paramref name="axes"/> whose label takes more than one value over <paramref name="trials"/>, in order.</summary>
    public static List<(string Name, Func<T, string> Label)> Varying<T>(IReadOnlyList<T> trials, params (string Name, Func<T, string> Label)[] axes)
    {
        var seen = axes.Select(_ => new HashSet<string>()).ToArray();
        foreach (var trial in trials)
        {
            for (var i = 0; i < axes.Length; i++)
            {
                // Two labels decide it; a 100,000-trial sweep need not collect every one.
                if (seen[i].Count < 2)
                    seen[i].Add(axes[i].Label(trial));
            }
        }
        return axes.Where((_, i) => seen[i].Count > 1).ToList();
    }
}
