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

    private static List<string> Describe(IEnumerable<CellEpochPoint> points) =>
        points.Select(p => $"{p.Cell.Model} {p.Epoch} {p.Seeds} {p.TrainLoss} {p.ValLoss} {p.Gap} {p.TrainMetric} {p.ValMetric}").Order().ToList();

    private static List<string> Describe(IEnumerable<TrialSummaryPoint> points) =>
        points.GroupBy(p => p.Trial.Id).Select(g => g.Last()).Select(p => $"{p.Trial.Id} {p.Status} {p.Attempt} {p.Node} {p.Summary} {p.Curve}").Order().ToList();
}
