using GridSweep.Coordinator.Results;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Files;
using GridSweep.TestKit;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Models;
using GridSweep.TrainerNode.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GridSweep.Coordinator.Tests.CommandLine;

/// <summary>
/// A run folder as a sweep leaves it, made of a real trial on a real table: epochs.csv and trials.csv written by
/// <see cref="RunFolder"/>, and the best epoch's model kept in models/.
/// </summary>
public sealed class KeptModelRun : IDisposable
{
    private readonly TempDirectory folder = new("gridsweep-evaluate");

    public KeptModelRun()
    {
        Trial = new TrialSpec("5be0c1d2e3f4", "iris", "small", "batch-norm", "adam", 11, new ModelSpec([12, 6]), new RegularizerSpec(Dropout: 0.2, BatchNorm: true),
            new OptimizerSpec("adam", 0.01), 10, 16, InputLayer.Sparse,
            new DatasetSpec(DatasetNames.Csv, 0, Path: TestData.Table("iris.csv"), Target: "species", DeclaredTask: LearningTask.Multiclass));
        var data = TrainingData.From(CsvDataset.Load(Trial.Dataset, Trial.Dataset.Path!));
        Run = new TrialTrainer(data, CPU) { KeepsBestWeights = true }.Train(Trial);
        var best = Run.Kept!;
        Good = Write("good", Run.Epochs);
        best.WriteTo(Good);
        // The same model, but epochs.csv records another loss for its epoch than the model gives.
        Tampered = Write("tampered", Run.Epochs.Select(e => e.Epoch == Run.Summary.BestEpoch ? e with { ValLoss = e.ValLoss + 0.01 } : e).ToList());
        best.WriteTo(Tampered);
    }

    public TrialSpec Trial { get; }
    public TrialRun Run { get; }
    public string Good { get; }
    public string Tampered { get; }
    public EpochMetrics BestEpoch => Run.Epochs.Single(e => e.Epoch == Run.Summary.BestEpoch);

    private string Write(string name, IReadOnlyList<EpochMetrics> epochs)
    {
        var path = Path.Combine(folder.Path, name);
        using var results = RunFolder.Open(path);
        foreach (var epoch in epochs)
            results.AppendEpoch(Trial, epoch);
        results.AppendTrial(Trial, Run.Summary);
        return path;
    }

    public void Dispose() => folder.Dispose();
}

public sealed class EvaluateCommandSpecs(KeptModelRun run, ITestOutputHelper output) : IClassFixture<KeptModelRun>
{
    [Fact]
    public void Evaluate_prints_the_kept_models_figures_beside_the_recorded_ones_and_exits_0_when_they_agree()
    {
        var result = GridSweepCli.Run("evaluate", run.Good, run.Trial.Id);

        output.WriteLine(result.Report);
        Assert.True(result.ExitCode == 0, result.Report);
        Assert.Contains($"trial {run.Trial.Id}: epoch {run.BestEpoch.Epoch}, trials.csv's best_epoch", result.Output);
        Assert.Contains(KeptModelFiles.WeightsPath(run.Good, run.Trial.Id), result.Output);
        var loss = run.BestEpoch.ValLoss.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var lossLine = result.Output.Split('\n').Single(line => line.StartsWith("val_loss", StringComparison.Ordinal));
        Assert.Equal(3, lossLine.Split(' ', StringSplitOptions.RemoveEmptyEntries).Count(field => field == loss)); // evaluated, json, epochs.csv
        Assert.Contains("val_accuracy", result.Output);
        Assert.Contains("equal to the recorded epoch's (largest difference 0", result.Output);
    }

    [Fact]
    public void A_model_that_does_not_give_the_recorded_loss_is_reported_different_and_exits_1()
    {
        var result = GridSweepCli.Run("evaluate", run.Tampered, run.Trial.Id);

        Assert.True(result.ExitCode == 1, result.Report);
        Assert.Contains("DIFFERENT from the recorded epoch's: largest difference 0.01", result.Output);
    }

    [Fact]
    public void A_trial_the_run_kept_no_model_of_is_refused_naming_the_file_and_the_kept_trials()
    {
        var result = GridSweepCli.Run("evaluate", run.Good, "000000000000");

        Assert.True(result.ExitCode == 2, result.Report);
        Assert.Contains(KeptModelFiles.DescriptionPath(run.Good, "000000000000"), result.Error);
        Assert.Contains($"keeps models of {run.Trial.Id}", result.Error);
    }

    [Fact]
    public void Data_that_is_missing_is_refused_naming_its_path()
    {
        var missing = Path.Combine(run.Good, "elsewhere", "iris.csv");

        var result = GridSweepCli.Run("evaluate", run.Good, run.Trial.Id, "--data", missing);

        Assert.True(result.ExitCode == 2, result.Report);
        Assert.Contains(missing, result.Error);
        Assert.Contains("does not exist", result.Error);
    }

    [Fact]
    public void Help_explains_evaluate_and_its_data_flags()
    {
        var result = GridSweepCli.Run("evaluate", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("<RUN_DIR>", result.Output);
        Assert.Contains("<TRIAL_ID>", result.Output);
        Assert.Contains("--data", result.Output);
        Assert.Contains("--word-index", result.Output);
        Assert.Contains("--tolerance", result.Output);
        Assert.Contains("epochs.csv", result.Output);
    }
}
