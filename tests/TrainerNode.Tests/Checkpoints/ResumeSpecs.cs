using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TestKit;
using GridSweep.TrainerNode.Checkpoints;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Tests.Training;
using GridSweep.TrainerNode.Training;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Tests.Checkpoints;

/// <summary>
/// A trial stopped after an epoch and resumed from its checkpoint, by a new trainer with fresh objects, must
/// go on exactly as if it had never stopped: same weights, optimizer moments, dropout masks and shuffle order.
/// </summary>
public sealed class ResumeSpecs : IDisposable
{
    private readonly TempDirectory directory = new("gridsweep-checkpoints");
    private readonly List<string> warnings = [];

    public void Dispose() => directory.Dispose();

    private CheckpointStore Store(long maxBytes = CheckpointStore.DefaultMaxBytes, string? folder = null) =>
        new(folder ?? directory.Combine("store"), maxBytes, warnings.Add);

    /// <summary>Trains until <paramref name="stopAfter"/> epochs are done, as a trainer killed then would.</summary>
    private static List<EpochMetrics> TrainAndStop(TrialTrainer trainer, TrialSpec trial, int stopAfter)
    {
        using var stop = new CancellationTokenSource();
        var reported = new List<EpochMetrics>();
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Train(trial, epoch =>
        {
            reported.Add(epoch);
            if (epoch.Epoch == stopAfter)
                stop.Cancel();
        }, stop.Token));
        return reported;
    }

    private static void AssertSameCurve(IReadOnlyList<EpochMetrics> expected, IReadOnlyList<EpochMetrics> actual) =>
        Assert.Equal(expected.Select(e => e with { Seconds = 0 }), actual.Select(e => e with { Seconds = 0 }));

    public static TheoryData<string, string> Trials() => new()
    {
        { "adam, dropout 0.5 and l2 on the sparse path", "adam" },
        { "sgd with momentum and batch norm", "sgd" },
        { "rmsprop on the dense path", "rmsprop" },
    };

    private static TrialSpec TrialFor(string optimizer) => optimizer switch
    {
        "adam" => TrainingFixtures.Trial(regularizer: new RegularizerSpec(L2: 0.001, Dropout: 0.5), seed: 5, epochs: 6) with { Id = "resume-adam" },
        "sgd" => TrainingFixtures.Trial(regularizer: new RegularizerSpec(BatchNorm: true), optimizer: new OptimizerSpec("sgd", 0.05, Momentum: 0.9),
            seed: 6, epochs: 6) with { Id = "resume-sgd" },
        _ => TrainingFixtures.Trial(optimizer: new OptimizerSpec("rmsprop", 0.001), seed: 7, epochs: 6, input: InputLayer.Dense) with { Id = "resume-rmsprop" },
    };

    [Theory]
    [MemberData(nameof(Trials))]
    public void A_trial_resumed_after_epoch_3_continues_the_uninterrupted_curve_bit_for_bit(string description, string optimizer)
    {
        var trial = TrialFor(optimizer);
        var uninterrupted = new TrialTrainer(TrainingFixtures.Data, CPU).Train(trial).Epochs;

        var beforeStop = TrainAndStop(new TrialTrainer(TrainingFixtures.Data, CPU) { Checkpoints = Store() }, trial, stopAfter: 3);
        var resumedAfter = -1;
        IReadOnlyList<EpochMetrics> earlier = [];
        var reported = new List<EpochMetrics>();
        var resumed = new TrialTrainer(TrainingFixtures.Data, CPU) { Checkpoints = Store() }
            .Train(trial, reported.Add, onStart: from => (resumedAfter, earlier) = (from.AfterEpoch, from.Epochs));

        Assert.True(resumedAfter == 3, $"{description}: resumed after epoch {resumedAfter}");
        Assert.Equal(beforeStop, earlier);
        Assert.Equal([4, 5, 6], reported.Select(e => e.Epoch)); // Only the remaining epochs are trained.
        Assert.Equal(3, resumed.ResumedAfterEpoch);
        AssertSameCurve(uninterrupted, resumed.Epochs);
        Assert.Empty(warnings);
    }

    [Fact]
    public void A_dense_table_trial_resumes_exactly_too()
    {
        var table = new DatasetSpec(DatasetNames.Csv, 0, Path: TestData.Table("wine.csv"), Target: "cultivar", DeclaredTask: LearningTask.Multiclass);
        var data = TrainingData.From(CsvDataset.Load(table, table.Path!));
        var trial = new TrialSpec("resume-wine", "wine", "small", "dropout", "adam", 3, new ModelSpec([32, 16], "tanh"), new RegularizerSpec(Dropout: 0.3),
            new OptimizerSpec("adam", 0.01), 8, 16, InputLayer.Dense, table);
        var uninterrupted = new TrialTrainer(data, CPU).Train(trial).Epochs;

        TrainAndStop(new TrialTrainer(data, CPU) { Checkpoints = Store() }, trial, stopAfter: 5);
        var resumed = new TrialTrainer(data, CPU) { Checkpoints = Store() }.Train(trial);

        Assert.Equal(5, resumed.ResumedAfterEpoch);
        AssertSameCurve(uninterrupted, resumed.Epochs);
    }

    [Fact]
    public void An_early_stopping_trial_resumed_before_its_stop_stops_where_the_uninterrupted_one_does()
    {
        var trial = TrainingFixtures.Trial(hidden: [64, 64], epochs: 10) with { Id = "resume-stopping", EarlyStopping = new EarlyStoppingSpec(Patience: 2) };
        var uninterrupted = new TrialTrainer(TrainingFixtures.Data, CPU).Train(trial);
        Assert.InRange(uninterrupted.Summary.StoppedEpoch, 4, 9); // The fixture's 64-64 net overfits after a few epochs.

        // Stopped after the best epoch, while the patience is counting down: the resumed run counts on.
        TrainAndStop(new TrialTrainer(TrainingFixtures.Data, CPU) { Checkpoints = Store() }, trial, stopAfter: uninterrupted.Summary.StoppedEpoch - 1);
        var resumed = new TrialTrainer(TrainingFixtures.Data, CPU) { Checkpoints = Store() }.Train(trial);

        Assert.Equal(uninterrupted.Summary.StoppedEpoch - 1, resumed.ResumedAfterEpoch);
        Assert.Equal((uninterrupted.Summary.StoppedEpoch, uninterrupted.Summary.StopReason), (resumed.Summary.StoppedEpoch, resumed.Summary.StopReason));
        AssertSameCurve(uninterrupted.Epochs, resumed.Epochs);
    }

    [Fact]
    public void A_finished_trial_left_its_checkpoint_one_epoch_short_and_a_rerun_trains_only_that_epoch_bit_for_bit()
    {
        var trial = TrialFor("adam") with { Id = "resume-finished", Epochs = 3 };
        var first = new TrialTrainer(TrainingFixtures.Data, CPU) { Checkpoints = Store() }.Train(trial);
        var reported = new List<EpochMetrics>();

        var again = new TrialTrainer(TrainingFixtures.Data, CPU) { Checkpoints = Store() }.Train(trial, reported.Add);

        Assert.Equal([3], reported.Select(e => e.Epoch));
        Assert.Equal(2, again.ResumedAfterEpoch);
        AssertSameCurve(first.Epochs, again.Epochs);
        Assert.Equal(first.Summary with { Seconds = 0 }, again.Summary with { Seconds = 0 });
    }

    [Fact]
    public void A_trial_whose_checkpoint_ends_in_divergence_trains_nothing_more()
    {
        var trial = TrainingFixtures.Trial(optimizer: new OptimizerSpec("sgd", 1e38), epochs: 5) with { Id = "resume-diverged" };
        var first = new TrialTrainer(TrainingFixtures.Data, CPU) { Checkpoints = Store() }.Train(trial);
        Assert.Equal(TrialStatus.Diverged, first.Summary.Status);
        Assert.True(first.Epochs.Count < trial.Epochs, $"diverged at epoch {first.Epochs.Count} of {trial.Epochs}");
        var reported = new List<EpochMetrics>();

        var again = new TrialTrainer(TrainingFixtures.Data, CPU) { Checkpoints = Store() }.Train(trial, reported.Add);

        Assert.Empty(reported);
        Assert.Equal(first.Epochs.Count, again.ResumedAfterEpoch);
        Assert.Equal(TrialStatus.Diverged, again.Summary.Status);
        Assert.Equal(first.Summary with { Seconds = 0 }, again.Summary with { Seconds = 0 });
    }

    [Fact]
    public void A_store_that_cannot_be_written_warns_once_and_the_trial_trains_on_from_scratch()
    {
        var blocker = directory.Combine("a-file");
        File.WriteAllText(blocker, "not a folder");
        var trial = TrialFor("adam") with { Id = "resume-unwritable", Epochs = 3 };

        var run = new TrialTrainer(TrainingFixtures.Data, CPU) { Checkpoints = Store(folder: Path.Combine(blocker, "store")) }.Train(trial);

        Assert.Equal(TrialStatus.Completed, run.Summary.Status);
        Assert.Equal(3, run.Epochs.Count);
        var warning = Assert.Single(warnings);
        Assert.Contains("cannot be written", warning);
        Assert.Contains("resume-unwritable", warning);
    }

    [Fact]
    public void A_full_store_says_so_once_names_its_bound_and_writes_nothing()
    {
        var trial = TrialFor("adam") with { Id = "resume-full", Epochs = 3 };

        var run = new TrialTrainer(TrainingFixtures.Data, CPU) { Checkpoints = Store(maxBytes: 10_000) }.Train(trial);

        Assert.Equal(3, run.Epochs.Count);
        var warning = Assert.Single(warnings);
        Assert.Contains("is full", warning);
        Assert.Contains("--checkpoints-max-gb", warning);
        Assert.False(File.Exists(Path.Combine(Store().TrialFolder(trial.Id), CheckpointStore.StateFile)));
    }

    [Fact]
    public void A_torn_checkpoint_is_named_and_the_trial_starts_from_scratch_with_the_uninterrupted_curve()
    {
        var trial = TrialFor("adam") with { Id = "resume-torn", Epochs = 4 };
        TrainAndStop(new TrialTrainer(TrainingFixtures.Data, CPU) { Checkpoints = Store() }, trial, stopAfter: 2);
        var file = Path.Combine(Store().TrialFolder(trial.Id), CheckpointStore.StateFile);
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);

        var run = new TrialTrainer(TrainingFixtures.Data, CPU) { Checkpoints = Store() }.Train(trial);

        Assert.Equal(0, run.ResumedAfterEpoch);
        AssertSameCurve(new TrialTrainer(TrainingFixtures.Data, CPU).Train(trial).Epochs, run.Epochs);
        var warning = Assert.Single(warnings);
        Assert.Contains(file, warning);
        Assert.Contains("cut short", warning);
    }

    [Fact]
    public void A_checkpoint_trained_on_other_data_is_not_resumed()
    {
        var trial = TrialFor("adam") with { Id = "resume-other-data", Epochs = 3 };
        var otherData = TrainingData.From(SyntheticReviews.Generate(trainCount: 512, testCount: 256, numWords: TrainingFixtures.Words, seed: 99));
        TrainAndStop(new TrialTrainer(otherData, CPU) { Checkpoints = Store() }, trial, stopAfter: 2);

        var run = new TrialTrainer(TrainingFixtures.Data, CPU) { Checkpoints = Store() }.Train(trial);

        Assert.Equal(0, run.ResumedAfterEpoch);
        Assert.Contains(warnings, w => w.Contains("other data"));
    }
}
