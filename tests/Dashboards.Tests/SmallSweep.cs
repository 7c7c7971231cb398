using GridSweep.Coordinator.Aggregates;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Metrics;
using GridSweep.TestKit;

namespace GridSweep.Dashboards.Tests;

/// <summary>One state change of a trial as a node reports it; <see cref="Summary"/> for the final states, a
/// <see cref="StoppedEpoch"/> for a trial early stopping ended.</summary>
public sealed record TrialState(TrialStatus Status, int Attempt, string Node, bool Summary = false, string? Error = null, int StoppedEpoch = 0);

/// <summary>A trial of the simulated sweep: its epochs (as the trainer measured them) and its state changes in order.</summary>
public sealed record SimulatedTrial(TrialSpec Spec, IReadOnlyList<EpochMetrics> Epochs, IReadOnlyList<TrialState> States)
{
    public TrialStatus LatestStatus => States[^1].Status;

    public IReadOnlyList<EpochMetrics> FiniteEpochs => Epochs.Where(e => double.IsFinite(e.ValLoss) && double.IsFinite(e.TrainLoss)).ToList();

    public TrialSummary? Summary => States.LastOrDefault(s => s.Summary) is { } final
        ? TrialSummary.From(final.Status, Epochs, 1.0, final.Error) with
        {
            StoppedEpoch = final.StoppedEpoch,
            StopReason = final.StoppedEpoch > 0 ? $"val_loss did not improve by more than 0 for {final.StoppedEpoch - 1} epochs after epoch 1" : null,
        }
        : null;
}

/// <summary>A trainer node heartbeat.</summary>
public sealed record Heartbeat(string Node, string Device, int Slots, int BusySlots, double EpochsPerMinute, double SamplesPerSecond);

/// <summary>A coordinator's judgement of a trainer node, as it writes it to <c>gridsweep_node</c>.</summary>
public sealed record NodeJudgement(string Node, string Device, string Standing, bool Quarantined, int FailureStreak, double QuarantineSeconds, string Reason);

/// <summary>
/// A small sweep, 2 models x 2 regularizers x 2 seeds x up to 5 epochs, with every kind of trial state
/// (completed, one stopped early, a retried trial, failed, diverged, running, queued), a second sweep that the dashboards must
/// not mix in, and heartbeats of two trainer nodes. The numbers are made so that every cell has a different
/// best epoch and best validation loss.
/// </summary>
public static class SmallSweep
{
    public const string Name = "grid-small";
    public const string OtherSweep = "other-sweep";

    /// <summary>A regression sweep over two axes a default grid leaves alone: learning rate x batch size, two seeds.</summary>
    public const string RegressionSweep = "housing-small";
    public static readonly string[] LearningRates = ["0.001", "0.01"];
    public static readonly string[] BatchSizes = ["16", "32"];
    public const string Database = "gridsweep";
    public static readonly string[] Models = ["baseline", "bigger"];
    public static readonly string[] Regularizers = ["dropout", "none"]; // as InfluxDB lists tag values: sorted
    public static readonly string[] Seeds = ["1", "2"];

    public static readonly IReadOnlyList<SimulatedTrial> Trials = Build();

    public static readonly IReadOnlyList<Heartbeat> Heartbeats =
    [
        new("trainer-a", "cpu", 2, 1, 10.0, 900.0),
        new("trainer-b", "cuda:0", 1, 1, 30.0, 5000.0),
        new("trainer-a", "cpu", 2, 2, 12.5, 1000.0), // trainer-a's latest
    ];

    /// <summary>trainer-b is quarantined; trainer-a was, and passed its probation.</summary>
    public static readonly IReadOnlyList<NodeJudgement> Judgements =
    [
        new("trainer-a", "cpu", "quarantined", true, 3, 300, "failed 3 trials in a row while other nodes completed trials; last failure: out of memory"),
        new("trainer-a", "cpu", "probation", false, 0, 0, "failed 3 trials in a row while other nodes completed trials; last failure: out of memory"),
        new("trainer-a", "cpu", "ok", false, 0, 0, ""),
        new("trainer-b", "cuda:0", "suspect", false, 3, 0, "failed 3 trials in a row; waiting for other nodes' results"),
        new("trainer-b", "cuda:0", "quarantined", true, 3, 600,
            "failed 3 trials in a row while other nodes completed trials (trainer-a); last failure: DataSourceException: CSV data '/data/housing.csv': line 201: has 3 values but the header has 14 columns"),
    ];

    public static IEnumerable<SimulatedTrial> InSweep => Trials.Where(t => t.Spec.Sweep == Name);

    public static IEnumerable<SimulatedTrial> InRegressionSweep => Trials.Where(t => t.Spec.Sweep == RegressionSweep);

    /// <summary>A trial of the regression sweep: Adam at <paramref name="learningRate"/>, tanh, 4 epochs, a CSV table's regression task.</summary>
    public static TrialSpec RegressionSpec(string id, double learningRate, int batchSize, long seed) =>
        new(id, RegressionSweep, "baseline", "none", $"adam-lr{learningRate.ToString(System.Globalization.CultureInfo.InvariantCulture)}", seed,
            new ModelSpec([64, 64], Activations.Tanh), RegularizerSpec.None, new OptimizerSpec("adam", learningRate),
            4, batchSize, InputLayer.Dense,
            new DatasetSpec(DatasetNames.Csv, 0, Path: "/data/housing.csv", Target: "MEDV", DeclaredTask: LearningTask.Regression));

    /// <summary>Validation MAE <paramref name="floor"/> + 0.1 (e - <paramref name="best"/>)^2; no accuracy, as a regression trainer reports.</summary>
    public static IReadOnlyList<EpochMetrics> RegressionCurve(int epochs, double floor, int best) =>
        Enumerable.Range(1, epochs).Select(e => new EpochMetrics(
            e,
            TrainLoss: 40.0 / e,
            TrainPenalty: 0,
            ValLoss: floor * floor + (e - best) * (e - best),
            TrainAccuracy: double.NaN,
            ValAccuracy: double.NaN,
            Seconds: 0.5,
            TrainMae: 5.0 / e,
            ValMae: floor + 0.1 * (e - best) * (e - best))).ToList();

    public static TrialSpec Spec(string id, string sweep, string model, string regularizer, long seed) =>
        new(id, sweep, model, regularizer, "adam", seed,
            new ModelSpec(model == "bigger" ? [512, 512] : [16, 16]),
            regularizer == "dropout" ? new RegularizerSpec(Dropout: 0.5) : RegularizerSpec.None,
            new OptimizerSpec("adam", 0.001),
            5, 512, InputLayer.Sparse, new DatasetSpec("imdb", 10000));

    /// <summary>Validation loss <paramref name="floor"/> + 0.02 (e - <paramref name="best"/>)^2: lowest at epoch <paramref name="best"/>.</summary>
    public static IReadOnlyList<EpochMetrics> Curve(int epochs, double floor, int best, double trainScale, int divergeAt = 0) =>
        Enumerable.Range(1, epochs).Select(e => e == divergeAt
            ? new EpochMetrics(e, double.NaN, 0, double.NaN, 0.5, 0.5, 2.0 + e / 10.0)
            : new EpochMetrics(
                e,
                TrainLoss: trainScale / e,
                TrainPenalty: 0,
                ValLoss: floor + 0.02 * (e - best) * (e - best),
                TrainAccuracy: 0.6 + 0.05 * e,
                ValAccuracy: 0.85 - 0.01 * Math.Abs(e - best),
                Seconds: 2.0 + e / 10.0)).ToList();

    private static List<SimulatedTrial> Build()
    {
        const string a = "trainer-a", b = "trainer-b", c = "coordinator";
        TrialState[] Completed(string node) =>
            [new(TrialStatus.Queued, 1, c), new(TrialStatus.Running, 1, node), new(TrialStatus.Completed, 1, node, Summary: true)];
        return
        [
            new(Spec("aaaa00000001", Name, "baseline", "none", 1), Curve(5, 0.300, 3, 0.70), Completed(a)),
            // Its node was lost mid-run: queued again as attempt 2, then finished on the other node.
            new(Spec("aaaa00000002", Name, "baseline", "none", 2), Curve(5, 0.320, 2, 0.72),
                [new(TrialStatus.Queued, 1, c), new(TrialStatus.Running, 1, b), new(TrialStatus.Queued, 2, c),
                 new(TrialStatus.Running, 2, a), new(TrialStatus.Completed, 2, a, Summary: true)]),
            new(Spec("aaaa00000003", Name, "baseline", "dropout", 1), Curve(5, 0.280, 4, 0.74), Completed(b)),
            new(Spec("aaaa00000004", Name, "baseline", "dropout", 2), Curve(2, 0.290, 4, 0.76),
                [new(TrialStatus.Queued, 1, c), new(TrialStatus.Running, 1, b),
                 new(TrialStatus.Failed, 1, b, Summary: true, Error: "CUDA out of memory")]),
            // Early stopping with patience 2 ended it 2 epochs after its best: completed, at epoch 3 of 5.
            new(Spec("aaaa00000005", Name, "bigger", "none", 1), Curve(3, 0.350, 1, 0.50),
                [new(TrialStatus.Queued, 1, c), new(TrialStatus.Running, 1, a), new(TrialStatus.Completed, 1, a, Summary: true, StoppedEpoch: 3)]),
            new(Spec("aaaa00000006", Name, "bigger", "none", 2), Curve(4, 0.360, 2, 0.52, divergeAt: 4),
                [new(TrialStatus.Queued, 1, c), new(TrialStatus.Running, 1, a), new(TrialStatus.Diverged, 1, a, Summary: true)]),
            new(Spec("aaaa00000007", Name, "bigger", "dropout", 1), Curve(3, 0.310, 5, 0.54),
                [new(TrialStatus.Queued, 1, c), new(TrialStatus.Running, 1, b)]),
            new(Spec("aaaa00000008", Name, "bigger", "dropout", 2), [], [new(TrialStatus.Queued, 1, c)]),
            // Another sweep in the same database, with a model and regularizer of its own.
            new(Spec("bbbb00000001", OtherSweep, "tiny", "l2", 7), Curve(2, 0.100, 1, 0.30), Completed(a)),
            // The regression sweep: every (learning rate, batch size, seed) with its own floor and best epoch.
            .. from rate in new[] { 0.001, 0.01 }
               from batch in new[] { 16, 32 }
               from seed in new[] { 1L, 2L }
               let index = (rate == 0.001 ? 0 : 4) + (batch == 16 ? 0 : 2) + (int)seed
               select new SimulatedTrial(RegressionSpec($"cccc0000000{index}", rate, batch, seed),
                   RegressionCurve(4, 2.5 + 0.25 * index, 1 + index % 4), Completed(index % 2 == 0 ? a : b)),
        ];
    }

    /// <summary>
    /// Writes everything with the project's <see cref="MetricsWriter"/>, over InfluxDB's v1 API: what trainers write (epochs,
    /// their state changes, heartbeats) and what the coordinator writes from the same events (<see cref="GridAggregates"/>).
    /// </summary>
    public static async Task WriteAsync(InfluxServer server, string spool)
    {
        await server.CreateDatabaseAsync(Database);
        var settings = new InfluxSettings(server.Url, InfluxSettings.V1, Database, null, null, null, null, null, null, spool, 64 << 20);
        var warnings = new List<string>();
        var writer = new MetricsWriter(settings, new MetricsWriterOptions
        {
            FlushInterval = TimeSpan.FromMilliseconds(50),
            Warning = w => { lock (warnings) warnings.Add(w); },
        });
        await using (writer)
        {
            await writer.CheckAsync();
            var grid = new GridAggregates(Trials.Select(t => t.Spec).ToList());
            // Interleaved as a real sweep would report: states and epochs in order per trial.
            foreach (var trial in Trials)
            {
                foreach (var state in trial.States)
                {
                    if (state.Status == TrialStatus.Running)
                    {
                        writer.TrialStateChanged(trial.Spec, state.Status, null, state.Attempt, state.Node);
                        grid.Running(trial.Spec.Id, state.Attempt, state.Node);
                        grid.SetCurve(trial.Spec.Id, []); // each attempt here starts from scratch
                        foreach (var epoch in trial.Epochs)
                        {
                            writer.EpochCompleted(trial.Spec, epoch, state.Node, 1000.0 + epoch.Epoch);
                            grid.Epoch(trial.Spec.Id, epoch);
                        }
                    }
                    else
                    {
                        writer.TrialStateChanged(trial.Spec, state.Status, state.Summary ? trial.Summary : null, state.Attempt, state.Node);
                        if (state.Status == TrialStatus.Queued)
                            grid.Queued(trial.Spec.Id, state.Attempt);
                        else
                            grid.Ended(trial.Spec.Id, trial.Summary!, state.Attempt, state.Node);
                    }
                }
            }
            while (grid.Pending > 0)
                grid.Drain(writer, 1_000);
            foreach (var beat in Heartbeats)
                writer.NodeHeartbeat(beat.Node, beat.Device, beat.Slots, beat.BusySlots, beat.EpochsPerMinute, beat.SamplesPerSecond);
            foreach (var judged in Judgements)
                writer.NodeStanding(judged.Node, judged.Device, judged.Standing, judged.Quarantined, judged.FailureStreak,
                    TimeSpan.FromSeconds(judged.QuarantineSeconds), judged.Reason);
            if (!await writer.FlushAsync(TimeSpan.FromSeconds(30)))
                throw new InvalidOperationException($"the small sweep was not written: {writer.LastError}; warnings: {string.Join("; ", warnings)}");
            if (writer.WrittenPoints == 0 || writer.DroppedPoints > 0 || writer.SetAsidePoints > 0)
                throw new InvalidOperationException($"written {writer.WrittenPoints}, dropped {writer.DroppedPoints}, set aside {writer.SetAsidePoints}: {writer.LastError}");
        }
    }
}

/// <summary>One real influxd holding <see cref="SmallSweep"/>, shared by the query specs.</summary>
public sealed class SmallSweepFixture : IAsyncLifetime
{
    private readonly TempDirectory _spool = new("gridsweep-dashboards-spool");

    public InfluxServer Server { get; private set; } = null!;

    /// <summary>Wall-clock time before the first point: start of the time range the cluster dashboard is queried with.</summary>
    public DateTimeOffset WrittenAfter { get; private set; }

    public async Task InitializeAsync()
    {
        Server = new InfluxServer(authEnabled: false);
        Server.Start();
        WrittenAfter = DateTimeOffset.UtcNow.AddSeconds(-1);
        await SmallSweep.WriteAsync(Server, _spool.Path);
    }

    public Task DisposeAsync()
    {
        Server?.Dispose();
        _spool.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class SmallSweepCollection : ICollectionFixture<SmallSweepFixture>
{
    public const string Name = "small sweep in influxd";
}
