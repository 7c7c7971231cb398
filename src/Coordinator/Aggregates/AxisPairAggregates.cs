using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.Metrics;

namespace GridSweep.Coordinator.Aggregates;

/// <summary>A cell at one epoch, as the pairs of axes sum it: its seeds with the epoch, and its spreads of validation loss and metric.</summary>
internal readonly record struct CellEpochValues(int Seeds, Spread ValLoss, Spread ValMetric)
{
    public static readonly CellEpochValues None = new(0, Spread.None, Spread.None);
}

/// <summary>
/// <c>gridsweep_axes_epoch</c>: for each pair of <see cref="AxisPairs.Axes"/>, the cells grouped by their values on the
/// two axes, and per group and epoch what the curves dashboard's overlays draw, so an overlay reads one series per line
/// instead of every cell's (at 100,000 trials, 20,000 cells: 10 s a panel, against the 2 s it may take).
/// <para>
/// Kept by difference: a cell's change at an epoch takes its old values out of its group in every pair and puts the new
/// ones in, O(pairs) however large the groups. Means are sums; the least and greatest value cannot be taken out, so a
/// change that takes out the last cell holding a group's extreme marks the group to be summed again from its cells
/// when it is written. Adding a seed to the cell that holds the extreme does that; once per group and epoch is the
/// usual cost, a few times where curves cross.
/// </para>
/// </summary>
internal sealed class AxisPairAggregates
{
    private readonly Pair[] pairs;
    private readonly Func<int, int, CellEpochValues> cellAt;
    private readonly DirtySet<long> dirty = new();

    /// <param name="cells">A trial of each cell: its labels name the cell.</param>
    /// <param name="cellAt">A cell's values at an epoch, computed from its trials now.</param>
    public AxisPairAggregates(IReadOnlyList<TrialSpec> cells, int maxGroupsPerPair, Func<int, int, CellEpochValues> cellAt)
    {
        this.cellAt = cellAt;
        var built = new List<Pair>();
        for (var a = 0; a < AxisPairs.Axes.Count; a++)
        {
            for (var b = a; b < AxisPairs.Axes.Count; b++)
            {
                if (Pair.Group(cells, AxisPairs.Axes[a], AxisPairs.Axes[b], maxGroupsPerPair) is { } pair)
                    built.Add(pair);
                else
                    Skipped.Add(AxisPairs.Name(AxisPairs.Axes[a], AxisPairs.Axes[b]));
            }
        }
        pairs = [.. built];
    }

    /// <summary>Pairs with more value pairs than the bound, which are not written.</summary>
    public List<string> Skipped { get; } = [];

    public int Pending => dirty.Count;

    /// <summary>The cell's values at <paramref name="epoch"/> went from <paramref name="before"/> to <paramref name="after"/>.</summary>
    public void Changed(int cell, int epoch, CellEpochValues before, CellEpochValues after)
    {
        if (before == after)
            return;
        for (var p = 0; p < pairs.Length; p++)
        {
            var group = pairs[p].GroupOf[cell];
            ref var sums = ref pairs[p].Groups[group].At(epoch);
            sums.Take(before);
            sums.Put(after);
            dirty.Add(Key(p, group, epoch));
        }
    }

    /// <summary>Sums every group again from its cells, up to each cell's <paramref name="lastEpoch"/> (a resume's load).</summary>
    public void Rebuild(Func<int, int> lastEpoch)
    {
        for (var p = 0; p < pairs.Length; p++)
        {
            var groups = pairs[p].Groups;
            for (var group = 0; group < groups.Length; group++)
            {
                var last = groups[group].Cells.Max(lastEpoch);
                groups[group].Clear();
                for (var epoch = 1; epoch <= last; epoch++)
                {
                    groups[group].At(epoch).Stale = true;
                    dirty.Add(Key(p, group, epoch));
                }
            }
        }
    }

    /// <summary>Writes marked groups' points, at most <paramref name="budget"/>; returns how many.</summary>
    public int Drain(Action<GridPoint> write, int budget)
    {
        var written = 0;
        while (written < budget && dirty.TryTake(out var key))
        {
            var (p, group, epoch) = ((int)(key >> 48), (int)((key >> 24) & 0xFF_FFFF), (int)(key & 0xFF_FFFF));
            var pair = pairs[p];
            ref var sums = ref pair.Groups[group].At(epoch);
            if (sums.Stale)
            {
                sums = Sums.Empty;
                foreach (var cell in pair.Groups[group].Cells)
                    sums.Put(cellAt(cell, epoch));
            }
            write(new AxesEpochPoint(pair.Groups[group].Label, pair.AxisA, pair.AxisB, epoch, sums.Seeds, sums.Cells, sums.ValLoss.Spread, sums.ValMetric.Spread));
            written++;
        }
        return written;
    }

    private static long Key(int pair, int group, int epoch) => ((long)pair << 48) | ((long)group << 24) | (uint)epoch;

    private sealed class Pair(string axisA, string axisB, int[] groupOf, Group[] groups)
    {
        public string AxisA { get; } = axisA;
        public string AxisB { get; } = axisB;
        public int[] GroupOf { get; } = groupOf;
        public Group[] Groups { get; } = groups;

        /// <summary>The cells grouped by sweep, task and their labels on the two axes; null past <paramref name="maxGroups"/> groups.</summary>
        public static Pair? Group(IReadOnlyList<TrialSpec> cells, string axisA, string axisB, int maxGroups)
        {
            var index = new Dictionary<(string, Messages.Sweeps.LearningTask, string, string), int>();
            var groupOf = new int[cells.Count];
            var members = new List<List<int>>();
            for (var cell = 0; cell < cells.Count; cell++)
            {
                var key = (cells[cell].Sweep, cells[cell].Task, AxisPairs.Label(cells[cell], axisA), AxisPairs.Label(cells[cell], axisB));
                if (!index.TryGetValue(key, out var group))
                {
                    if (members.Count == maxGroups)
                        return null;
                    index[key] = group = members.Count;
                    members.Add([]);
                }
                groupOf[cell] = group;
                members[group].Add(cell);
            }
            return new Pair(axisA, axisB, groupOf, [.. members.Select(m => new Group(cells[m[0]], [.. m]))]);
        }
    }

    private sealed class Group(TrialSpec label, int[] cells)
    {
        private Sums[] byEpoch = [];

        public TrialSpec Label { get; } = label;
        public int[] Cells { get; } = cells;

        public ref Sums At(int epoch)
        {
            if (byEpoch.Length < epoch)
            {
                var grown = new Sums[Math.Max(epoch, Label.Epochs)];
                byEpoch.CopyTo(grown, 0);
                grown.AsSpan(byEpoch.Length).Fill(Sums.Empty);
                byEpoch = grown;
            }
            return ref byEpoch[epoch - 1];
        }

        public void Clear() => byEpoch.AsSpan().Fill(Sums.Empty);
    }

    /// <summary>A group's values at one epoch, as running sums.</summary>
    private struct Sums
    {
        public static readonly Sums Empty = new() { ValLoss = Extremes.Empty, ValMetric = Extremes.Empty };

        public int Seeds;
        public int Cells;
        public Extremes ValLoss;
        public Extremes ValMetric;
        /// <summary>An extreme was taken out: sum the group again from its cells before writing.</summary>
        public bool Stale;

        public void Put(CellEpochValues values)
        {
            Seeds += values.Seeds;
            Cells += values.Seeds > 0 ? 1 : 0;
            ValLoss.Put(values.ValLoss);
            ValMetric.Put(values.ValMetric);
        }

        public void Take(CellEpochValues values)
        {
            Seeds -= values.Seeds;
            Cells -= values.Seeds > 0 ? 1 : 0;
            Stale |= ValLoss.Take(values.ValLoss) | ValMetric.Take(values.ValMetric);
        }
    }

    /// <summary>The cells' means summed, and the least and greatest seed with how many cells hold each (ties are common).</summary>
    private struct Extremes
    {
        public static readonly Extremes Empty = new() { Min = double.PositiveInfinity, Max = double.NegativeInfinity };

        public int Count;
        public double Sum;
        public double Min;
        public double Max;
        public int AtMin;
        public int AtMax;

        public readonly Spread Spread => Count == 0 ? Spread.None : new Spread(Count, Sum / Count, Min, Max);

        public void Put(Spread cell)
        {
            if (cell.Count == 0)
                return;
            Count++;
            Sum += cell.Mean;
            if (cell.Min < Min)
                (Min, AtMin) = (cell.Min, 1);
            else if (cell.Min == Min)
                AtMin++;
            if (cell.Max > Max)
                (Max, AtMax) = (cell.Max, 1);
            else if (cell.Max == Max)
                AtMax++;
        }

        /// <returns>True when the cell was the last to hold an extreme, which only summing again can replace.</returns>
        public bool Take(Spread cell)
        {
            if (cell.Count == 0)
                return false;
            if (--Count == 0)
            {
                // Nothing left: no rounding residue or old extreme carries over to the next value.
                this = Empty;
                return false;
            }
            Sum -= cell.Mean;
            var lost = false;
            if (cell.Min == Min)
                lost |= --AtMin == 0;
            if (cell.Max == Max)
                lost |= --AtMax == 0;
            return lost;
        }
    }
}
