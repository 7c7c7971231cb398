using GridSweep.Coordinator.Aggregates;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Metrics;
using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests.Metrics;

/// <summary>The grid's aggregates as the coordinator keeps them: exact over seeds, through re-runs and resumes, written in bounded steps.</summary>
public sealed class GridAggregatesSpecs
{
    /// <summary>A 2 (models) x 3 (seeds) grid of 4-epoch trials, ids a1..a3 (baseline) and b1..b3 (bigger).</summary>
    private static readonly IReadOnlyList<TrialSpec> Grid =
    [
        .. from model in new[] { "baseline", "bigger" }
           from seed in new[] { 1L, 2L, 3L }
           select new TrialSpec($"{(model == "baseline" ? 'a' : 'b')}{seed}", "grid", model, "none", "adam", seed,
               new ModelSpec(model == "bigger" ? [512, 512] : [16, 16]), RegularizerSpec.None, new OptimizerSpec("adam", 0.001),
               4, 512, InputLayer.Sparse, new DatasetSpec("imdb", 10000)),
    ];

    /// <summary>Validation loss lowest at <paramref name="best"/>, shifted by <paramref name="salt"/>: distinct numbers per trial.</summary>
    private static EpochMetrics Epoch(int epoch, double salt, int best = 2) =>
        new(epoch, 0.6 / epoch + salt, 0, 0.3 + 0.05 * (epoch - best) * (epoch - best) + salt, 0.7 + 0.02 * epoch, 0.8 - 0.01 * epoch + salt, 1);

    private static List<EpochMetrics> Curve(double salt, int epochs = 4, int best = 2) =>
        Enumerable.Range(1, epochs).Select(e => Epoch(e, salt, best)).ToList();

    /// <summary>Everything marked, drained at once.</summary>
    private static List<GridPoint> DrainAll(GridAggregates grid)
    {
        var points = new List<GridPoint>();
        while (grid.Pending > 0)
            grid.Drain(points.Add, (_, _) => { }, 1_000);
        return points;
    }

    [Fact]
    public void A_cells_epoch_is_the_mean_min_and_max_over_its_seeds_and_a_rerun_replaces_its_trials_values()
    {
        var grid = new GridAggregates(Grid);
        foreach (var (id, salt) in new[] { ("a1", 0.00), ("a2", 0.10), ("a3", 0.20) })
        {
            grid.Running(id, 1, "node-1");
            foreach (var epoch in Curve(salt))
                grid.Epoch(id, epoch);
        }
        // a2's node is lost after epoch 3 was recorded; its next attempt resumes after epoch 2 with other numbers.
        grid.Queued("a2", 1);
        grid.Running("a2", 2, "node-2");
        grid.SetCurve("a2", Curve(0.10).Take(2).ToList());
        foreach (var epoch in Curve(0.40).Skip(2))
            grid.Epoch("a2", epoch);

        var points = DrainAll(grid);

        var epoch3 = Assert.Single(points.OfType<CellEpochPoint>(), p => p.Cell.Model == "baseline" && p.Epoch == 3);
        double[] valLoss = [Epoch(3, 0.00).ValLoss, Epoch(3, 0.40).ValLoss, Epoch(3, 0.20).ValLoss];
        Assert.Equal(3, epoch3.Seeds);
        Assert.Equal(3, epoch3.ValLoss.Count);
        Assert.Equal(valLoss.Average(), epoch3.ValLoss.Mean, 12);
        Assert.Equal((valLoss.Min(), valLoss.Max()), (epoch3.ValLoss.Min, epoch3.ValLoss.Max));
        Assert.Equal(new[] { 0.00, 0.40, 0.20 }.Average(s => Epoch(3, s).ValLoss - Epoch(3, s).TrainLoss), epoch3.Gap.Mean, 12);
        Assert.Equal(new[] { 0.00, 0.40, 0.20 }.Average(s => Epoch(3, s).ValAccuracy), epoch3.ValMetric.Mean, 12);
        // Epoch 2 kept a2's first attempt's numbers: the resumed attempt carried them.
        var epoch2 = Assert.Single(points.OfType<CellEpochPoint>(), p => p.Cell.Model == "baseline" && p.Epoch == 2);
        Assert.Equal(new[] { 0.00, 0.10, 0.20 }.Average(s => Epoch(2, s).ValLoss), epoch2.ValLoss.Mean, 12);
        // Each cell epoch written once however often it changed; the untouched cell not at all.
        Assert.Equal(4, points.OfType<CellEpochPoint>().Count());
        Assert.DoesNotContain(points.OfType<CellEpochPoint>(), p => p.Cell.Model == "bigger");
    }

    [Fact]
    public void A_cell_summarises_its_seeds_best_and_gap_and_counts_its_trials_by_state()
    {
        var grid = new GridAggregates(Grid);
        grid.Running("b1", 1, "n");
        foreach (var epoch in Curve(0.0, best: 3))
            grid.Epoch("b1", epoch);
        grid.Ended("b1", TrialSummary.From(TrialStatus.Completed, Curve(0.0, best: 3), 4) with { StoppedEpoch = 4, StopReason = "patience" }, 1, "n");
        grid.Running("b2", 1, "n");
        foreach (var epoch in Curve(0.1, epochs: 2, best: 1))
            grid.Epoch("b2", epoch);
        grid.Ended("b3", TrialSummary.From(TrialStatus.Failed, [], 0, "out of memory"), 1, "n");

        var cell = grid.CellOf("b1");

        Assert.Equal(new StateCounts(Queued: 0, Running: 1, Completed: 1, Failed: 1, Diverged: 0, StoppedEarly: 1), cell.Counts);
        Assert.Equal(2, cell.SeedsWithCurve);
        Assert.Equal((Epoch(3, 0.0, 3).ValLoss + Epoch(1, 0.1, 1).ValLoss) / 2, cell.BestValLoss, 12);
        Assert.Equal((3 + 1) / 2.0, cell.BestEpoch);
        Assert.Equal(((Epoch(4, 0.0, 3).ValLoss - Epoch(4, 0.0, 3).TrainLoss) + (Epoch(2, 0.1, 1).ValLoss - Epoch(2, 0.1, 1).TrainLoss)) / 2, cell.FinalGap, 12);
        var sweep = Assert.Single(DrainAll(grid).OfType<SweepPoint>());
        Assert.Equal(new StateCounts(Queued: 3, Running: 1, Completed: 1, Failed: 1, Diverged: 0, StoppedEarly: 1), sweep.Counts);
        Assert.Equal(2, sweep.Cells);
    }

    [Fact]
    public void Draining_writes_no_more_than_it_is_allowed_and_a_starts_queued_states_are_streamed()
    {
        var many = Enumerable.Range(0, 2_500).Select(i => Grid[0] with { Id = $"t{i:D5}", Seed = i }).ToList();
        var grid = new GridAggregates(many);
        var since = DateTimeOffset.UtcNow;
        grid.QueuedAtStart(many.Select(t => t.Id), since);
        var queued = new List<(TrialSpec, DateTimeOffset)>();
        var points = new List<GridPoint>();

        var steps = new List<int>();
        while (grid.Pending > 0)
            steps.Add(grid.Drain(points.Add, (t, at) => queued.Add((t, at)), 1_000));

        Assert.All(steps, n => Assert.InRange(n, 1, 1_000));
        Assert.Equal(many.Select(t => t.Id), queued.Select(q => q.Item1.Id));
        Assert.All(queued, q => Assert.Equal(since, q.Item2));
        Assert.Equal(2_500, points.OfType<TrialSummaryPoint>().Count());
        Assert.All(points.OfType<TrialSummaryPoint>(), p => Assert.Equal(TrialStatus.Queued, p.Status));
        Assert.Equal(2_500, Assert.Single(points.OfType<CellPoint>()).Counts.Queued);
    }

    [Fact]
    public async Task A_coordinator_that_resumes_from_its_ledger_holds_the_same_aggregates_as_the_one_that_recorded_them()
    {
        using var directory = new TempDirectory();
        var live = new GridAggregates(Grid);
        RecordedResults recorded;
        using (var folder = RunFolder.Open(directory.Path, Grid))
        {
            foreach (var (trial, i) in Grid.Select((t, i) => (t, i)).Take(4))
            {
                folder.StartAttempt(trial, 1, "node-1");
                live.Running(trial.Id, 1, "node-1");
                var curve = Curve(0.05 * i, epochs: i == 3 ? 2 : 4, best: 1 + i % 3);
                foreach (var epoch in curve)
                {
                    folder.AppendEpoch(trial, epoch);
                    live.Epoch(trial.Id, epoch);
                }
                if (i == 3)
                    continue; // still running when the coordinator went away
                var summary = TrialSummary.From(TrialStatus.Completed, curve, 3);
                folder.AppendTrial(trial, summary);
                live.Ended(trial.Id, summary, 1, "node-1");
            }
            folder.Flush();
        }
        using (var reopened = RunFolder.Open(directory.Path, Grid))
        {
            var attempts = reopened.Attempts;
            recorded = await reopened.ReadLedgerAsync(l => GridAggregates.Read(l, Grid.ToDictionary(t => t.Id), attempts));
        }
        var resumed = new GridAggregates(Grid);
        resumed.QueuedAtStart(Grid.Skip(4).Select(t => t.Id), DateTimeOffset.UtcNow);
        resumed.Running(Grid[3].Id, 1, "node-1");
        resumed.Load(recorded);
        live.Queued(Grid[4].Id, 0);
        live.Queued(Grid[5].Id, 0);

        var expected = DrainAll(live);
        var actual = DrainAll(resumed);

        Assert.Equal(Describe(expected.OfType<CellEpochPoint>()), Describe(actual.OfType<CellEpochPoint>()));
        Assert.Equal(expected.OfType<CellPoint>().OrderBy(p => p.Cell.Model).Select(p => p with { Cell = null! }),
            actual.OfType<CellPoint>().OrderBy(p => p.Cell.Model).Select(p => p with { Cell = null! }));
        Assert.Equal(expected.OfType<SweepPoint>().Last(), actual.OfType<SweepPoint>().Last());
        Assert.Equal(Describe(expected.OfType<TrialSummaryPoint>()), Describe(actual.OfType<TrialSummaryPoint>()));
    }

    [Fact]
    public void Each_pair_of_axes_holds_per_value_pair_and_epoch_what_its_cells_hold_through_reruns_and_a_resume()
    {
        // 3 models x 4 learning rates x 3 seeds, 5 epochs; trials end at different epochs, some re-run with other numbers.
        var trials = (from model in new[] { "baseline", "smaller", "bigger" }
                      from rate in new[] { 0.1, 0.01, 0.001, 0.0001 }
                      from seed in new[] { 1L, 2L, 3L }
                      select Grid[0] with { Id = $"{model}-{rate}-{seed}", Model = model, Seed = seed, Epochs = 5, OptimizerConfig = new OptimizerSpec("adam", rate) })
                     .ToList();
        var random = new Random(12);
        var grid = new GridAggregates(trials);
        var points = new List<GridPoint>();
        var held = trials.ToDictionary(t => t.Id, _ => new SortedDictionary<int, EpochMetrics>());
        for (var step = 0; step < 400; step++)
        {
            var trial = trials[random.Next(trials.Count)];
            var salt = random.Next(4) / 4.0; // few distinct values: many cells tie for a group's least and greatest
            if (random.Next(5) == 0)
            {
                var curve = Curve(salt, epochs: random.Next(0, 6), best: 1 + random.Next(4));
                grid.SetCurve(trial.Id, curve);
                held[trial.Id] = new SortedDictionary<int, EpochMetrics>(curve.ToDictionary(e => e.Epoch));
            }
            else
            {
                var epoch = Epoch(1 + random.Next(5), salt);
                grid.Epoch(trial.Id, epoch);
                held[trial.Id][epoch.Epoch] = epoch;
            }
            if (step % 37 == 0)
                grid.Drain(points.Add, (_, _) => { }, 50); // written part by part, as the actor drains it
        }
        points.AddRange(DrainAll(grid));

        AssertPairsMatchCells(points);
        Assert.Empty(grid.PairsLeftOut);
        // 28 pairs of the 7 axes (one axis twice among them), each value pair and epoch written.
        var written = points.OfType<AxesEpochPoint>().Select(p => (p.AxisA, p.AxisB)).Distinct().ToList();
        Assert.Equal(28, written.Count);
        Assert.Contains(("model", "learning_rate"), written);
        Assert.Contains(("model", "model"), written);

        // A resumed coordinator sums the same from what it loads.
        var curves = held.Where(h => h.Value.Count > 0).ToDictionary(h => h.Key, h => Compact(h.Value.Values));
        var resumed = new GridAggregates(trials);
        resumed.Load(new RecordedResults([], curves, new Dictionary<string, (int, string)>()));
        var again = DrainAll(resumed);
        Assert.Equal(Describe(Latest(points.OfType<AxesEpochPoint>()).Where(p => p.Seeds > 0)), Describe(Latest(again.OfType<AxesEpochPoint>()).Where(p => p.Seeds > 0)));
    }

    [Fact]
    public void A_pair_of_axes_with_more_value_pairs_than_an_overlay_can_show_is_left_out()
    {
        var rates = Enumerable.Range(1, GridAggregates.MaxGroupsPerPair + 1).Select(r => Grid[0] with { Id = $"r{r}", OptimizerConfig = new OptimizerSpec("adam", r * 1e-6) }).ToList();
        var grid = new GridAggregates(rates);
        grid.Epoch("r1", Epoch(1, 0.1));

        var points = DrainAll(grid).OfType<AxesEpochPoint>().ToList();

        Assert.Equal(["model,learning_rate", "regularizer,learning_rate", "optimizer,learning_rate", "learning_rate,learning_rate",
            "learning_rate,activation", "learning_rate,batch_size", "learning_rate,epochs"], grid.PairsLeftOut);
        Assert.Equal(21, points.Count);
        Assert.DoesNotContain(points, p => p.AxisA == "learning_rate" || p.AxisB == "learning_rate");
        Assert.All(points, p => Assert.Equal((1, 1, Epoch(1, 0.1).ValLoss), (p.Seeds, p.Cells, p.ValLoss.Mean)));
    }

    /// <summary>Every pair's last point per value pair and epoch against the cells' last points, summed here by brute force.</summary>
    private static void AssertPairsMatchCells(List<GridPoint> points)
    {
        var cells = Latest(points.OfType<CellEpochPoint>());
        foreach (var pair in Latest(points.OfType<AxesEpochPoint>()))
        {
            var members = cells.Where(c => c.Epoch == pair.Epoch &&
                AxisPairs.Label(c.Cell, pair.AxisA) == AxisPairs.Label(pair.Cell, pair.AxisA) &&
                AxisPairs.Label(c.Cell, pair.AxisB) == AxisPairs.Label(pair.Cell, pair.AxisB)).ToList();
            var what = $"{pair.AxisA}={AxisPairs.Label(pair.Cell, pair.AxisA)} {pair.AxisB}={AxisPairs.Label(pair.Cell, pair.AxisB)} epoch {pair.Epoch}";
            Assert.True(members.Count > 0, what);
            Assert.Equal(members.Sum(c => c.Seeds), pair.Seeds);
            Assert.Equal(members.Count(c => c.Seeds > 0), pair.Cells);
            var withLoss = members.Where(c => c.ValLoss.Count > 0).ToList();
            Assert.Equal(withLoss.Count, pair.ValLoss.Count);
            if (withLoss.Count > 0)
            {
                Assert.Equal(withLoss.Average(c => c.ValLoss.Mean), pair.ValLoss.Mean, 9);
                Assert.Equal((withLoss.Min(c => c.ValLoss.Min), withLoss.Max(c => c.ValLoss.Max)), (pair.ValLoss.Min, pair.ValLoss.Max));
                Assert.Equal(members.Where(c => c.ValMetric.Count > 0).Average(c => c.ValMetric.Mean), pair.ValMetric.Mean, 9);
            }
        }
    }

    private static List<CellEpochPoint> Latest(IEnumerable<CellEpochPoint> points) =>
        points.GroupBy(p => (p.Cell.Model, AxisPairs.Label(p.Cell, "learning_rate"), p.Epoch)).Select(g => g.Last()).ToList();

    private static List<AxesEpochPoint> Latest(IEnumerable<AxesEpochPoint> points) =>
        points.GroupBy(p => (p.AxisA, p.AxisB, AxisPairs.Label(p.Cell, p.AxisA), AxisPairs.Label(p.Cell, p.AxisB), p.Epoch)).Select(g => g.Last()).ToList();

    private static List<string> Describe(IEnumerable<AxesEpochPoint> points) =>
        points.Select(p => $"{p.AxisA}={AxisPairs.Label(p.Cell, p.AxisA)} {p.AxisB}={AxisPairs.Label(p.Cell, p.AxisB)} {p.Epoch} {p.Seeds} {p.Cells} " +
            $"{p.ValLoss.Count} {p.ValLoss.Mean:G12} {p.ValLoss.Min} {p.ValLoss.Max} {p.ValMetric.Mean:G12}").Order().ToList();

    /// <summary>A classification trial's curve in the form a ledger read gives <see cref="GridAggregates.Load"/>.</summary>
    private static double[] Compact(IEnumerable<EpochMetrics> epochs)
    {
        var list = epochs.ToList();
        var curve = GridAggregates.NewCurve(Math.Max(5, list.Max(e => e.Epoch)));
        foreach (var e in list)
            new[] { e.TrainLoss, e.ValLoss, e.TrainAccuracy, e.ValAccuracy }.CopyTo(curve, (e.Epoch - 1) * GridAggregates.PerEpoch);
        return curve;
    }

    private static List<string> Describe(IEnumerable<CellEpochPoint> points) =>
        points.Select(p => $"{p.Cell.Model} {p.Epoch} {p.Seeds} {p.TrainLoss} {p.ValLoss} {p.Gap} {p.TrainMetric} {p.ValMetric}").Order().ToList();

    private static List<string> Describe(IEnumerable<TrialSummaryPoint> points) =>
        points.GroupBy(p => p.Trial.Id).Select(g => g.Last()).Select(p => $"{p.Trial.Id} {p.Status} {p.Attempt} {p.Node} {p.Summary} {p.Curve}").Order().ToList();
}
