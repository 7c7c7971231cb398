using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TrainerNode.Training;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Tests.Training;

public sealed class TrialTrainerSpecs
{
    private static TrialRun Train(TrialSpec trial) => new TrialTrainer(TrainingFixtures.Data, CPU).Train(trial);

    [Fact]
    public void A_trial_learns_and_reports_every_epoch()
    {
        var reported = new List<EpochMetrics>();
        var run = new TrialTrainer(TrainingFixtures.Data, CPU).Train(TrainingFixtures.Trial(epochs: 8), reported.Add);

        Assert.Equal(TrialStatus.Completed, run.Summary.Status);
        Assert.Equal(Enumerable.Range(1, 8), reported.Select(e => e.Epoch));
        Assert.Equal(run.Epochs, reported);
        Assert.True(reported[^1].TrainLoss < reported[0].TrainLoss, "train loss must fall");
        Assert.True(reported.Max(e => e.ValAccuracy) > 0.7, $"validation accuracy only {reported.Max(e => e.ValAccuracy)}");
        Assert.All(reported, e => Assert.Equal(0.0, e.TrainPenalty));
        Assert.All(reported, e => Assert.True(e.Seconds > 0));
    }

    [Fact]
    public void The_summary_marks_the_epoch_of_lowest_validation_loss_and_the_final_gap()
    {
        var run = Train(TrainingFixtures.Trial(epochs: 5));
        var best = run.Epochs.MinBy(e => e.ValLoss)!;
        Assert.Equal(best.Epoch, run.Summary.BestEpoch);
        Assert.Equal(best.ValLoss, run.Summary.BestValLoss);
        Assert.Equal(run.Epochs[^1].ValLoss - run.Epochs[^1].TrainLoss, run.Summary.FinalGap, 12);
    }

    [Fact]
    public void The_same_seed_gives_the_same_numbers()
    {
        var trial = TrainingFixtures.Trial(regularizer: new RegularizerSpec(L2: 0.001, Dropout: 0.5), seed: 42);
        var first = Train(trial).Epochs.Select(e => e with { Seconds = 0 });
        var second = Train(trial).Epochs.Select(e => e with { Seconds = 0 });
        Assert.Equal(first, second);
    }

    [Fact]
    public void Another_seed_gives_other_numbers()
    {
        var first = Train(TrainingFixtures.Trial(seed: 1)).Epochs[0].TrainLoss;
        var second = Train(TrainingFixtures.Trial(seed: 2)).Epochs[0].TrainLoss;
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void L2_reports_its_penalty_apart_from_the_data_loss()
    {
        var run = Train(TrainingFixtures.Trial(regularizer: new RegularizerSpec(L2: 0.001), epochs: 2));
        Assert.All(run.Epochs, e => Assert.True(e.TrainPenalty > 0));
        Assert.All(run.Epochs, e => Assert.True(e.TrainLoss < 1.0));
    }

    [Fact]
    public void A_diverging_trial_is_marked_diverged_not_a_crash()
    {
        var run = Train(TrainingFixtures.Trial(optimizer: new OptimizerSpec("sgd", 1e38), epochs: 5));
        Assert.Equal(TrialStatus.Diverged, run.Summary.Status);
        Assert.True(run.Epochs[^1].IsDiverged);
        Assert.Contains("epoch", run.Summary.Error);
    }

    [Fact]
    public void Dense_input_trains_to_the_same_curve_as_sparse()
    {
        var sparse = Train(TrainingFixtures.Trial(epochs: 2));
        var dense = Train(TrainingFixtures.Trial(epochs: 2, input: InputLayer.Dense));
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(sparse.Epochs[i].TrainLoss, dense.Epochs[i].TrainLoss, 3);
            Assert.Equal(sparse.Epochs[i].ValLoss, dense.Epochs[i].ValLoss, 3);
        }
    }

    [Fact]
    public void Training_survives_constant_garbage_collection_with_unchanged_results()
    {
        // TorchSharp can pass a collected Scalar's handle to native code; forcing collections all through
        // training would crash (SIGABRT) or corrupt numbers if any Scalar were left temporary.
        var trial = TrainingFixtures.Trial(regularizer: new RegularizerSpec(L1: 1e-4, L2: 0.001, Dropout: 0.3, BatchNorm: true), epochs: 3);
        var quiet = Train(trial).Epochs.Select(e => e with { Seconds = 0 }).ToList();

        var stop = false;
        var collections = 0;
        // A thread of its own: training keeps the thread pool busy, and a pool task might not start in time.
        var collector = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref collections);
            }
        });
        collector.Start();
        var stressed = Train(trial).Epochs.Select(e => e with { Seconds = 0 }).ToList();
        Volatile.Write(ref stop, true);
        collector.Join();

        Assert.True(collections > 10, $"only {collections} collections ran during training");
        Assert.Equal(quiet, stressed);
    }
}
