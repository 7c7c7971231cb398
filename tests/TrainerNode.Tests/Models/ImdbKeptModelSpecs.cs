using System.Text.Json;
using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.Files;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Models;
using GridSweep.TrainerNode.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Tests.Models;

/// <summary>
/// A short real IMDB trial (the Keras word index, 10,000 words, a 16-unit net, two epochs) trained once, its best
/// weights kept in a run folder. Loading and encoding the archive takes about half a minute.
/// </summary>
public sealed class ImdbKeptModelRun : IDisposable
{
    public const int NumWords = 10_000;

    private readonly TempDirectory cache = new("gridsweep-imdb-cache");

    public ImdbKeptModelRun()
    {
        Dataset = ImdbLoader.LoadAsync(new ImdbLoadOptions(TestData.ImdbArchive, NumWords, TestData.KerasWordIndex, cache.Path)).GetAwaiter().GetResult();
        Data = TrainingData.From(Dataset);
        Trial = new TrialSpec("1d2c3b4a5f60", "imdb-kept", "small", "none", "adam", 5, new ModelSpec([16]), RegularizerSpec.None,
            new OptimizerSpec("adam", 0.001), 2, 512, InputLayer.Sparse, new DatasetSpec(DatasetNames.Imdb, NumWords, TestData.KerasWordIndex));
        Run = new TrialTrainer(Data, CPU) { KeepsBestWeights = true }.Train(Trial);
        Run.Kept!.WriteTo(RunFolder.Path);
    }

    public ReviewDataset Dataset { get; }
    public TrainingData Data { get; }
    public TrialSpec Trial { get; }
    public TrialRun Run { get; }
    public TempDirectory RunFolder { get; } = new("gridsweep-imdb-run");
    public string CacheFolder => cache.Path;

    public void Dispose()
    {
        RunFolder.Dispose();
        cache.Dispose();
    }
}

public sealed class ImdbKeptModelSpecs(ImdbKeptModelRun imdb, ITestOutputHelper output) : IClassFixture<ImdbKeptModelRun>
{
    private const double Tolerance = 1e-4;

    [Fact]
    public void The_kept_epoch_is_the_best_epoch_and_reloads_to_its_recorded_validation_loss_and_accuracy()
    {
        using var model = KeptModel.Load(imdb.RunFolder.Path, imdb.Trial.Id);
        var best = imdb.Run.Epochs.Single(e => e.Epoch == imdb.Run.Summary.BestEpoch);

        var (loss, accuracy) = new TrialTrainer(imdb.Data, CPU).Validate(model.Network, imdb.Trial.InputLayer);

        Assert.Equal(best, model.Description.Metrics);
        Assert.Equal(best.ValLoss, loss);
        Assert.Equal(best.ValAccuracy, accuracy);
    }

    [Fact]
    public void The_description_records_the_vocabulary_each_kept_word_with_its_column()
    {
        var input = Assert.IsType<MultiHotWords>(KeptModel.ReadDescription(KeptModelFiles.DescriptionPath(imdb.RunFolder.Path, imdb.Trial.Id)).Input);

        Assert.Equal(ImdbKeptModelRun.NumWords, input.NumWords);
        Assert.Equal("keras word index", input.WordIndex);
        // Keras' ranks: "the" is 1, so column 4; ranks 1 to 9,996 fit below 10,000 columns.
        Assert.Equal(4, input.WordColumns["the"]);
        Assert.Equal(ImdbKeptModelRun.NumWords - WordIndex.IndexFrom - 1, input.WordColumns.Count);
        Assert.Equal(ImdbKeptModelRun.NumWords - 1, input.WordColumns.Values.Max());
        Assert.Equal(KerasTokenizer.Filters, input.Filters);
    }

    [Fact]
    public async Task The_vocabulary_survives_the_encoded_cache()
    {
        var cached = await ImdbLoader.LoadAsync(new ImdbLoadOptions(TestData.ImdbArchive, ImdbKeptModelRun.NumWords, TestData.KerasWordIndex, imdb.CacheFolder));

        Assert.Equal(imdb.Dataset.Preparation!.WordColumns, cached.Preparation!.WordColumns);
        Assert.Equal(imdb.Dataset.Preparation.WordIndex, cached.Preparation.WordIndex);
    }

    [Fact]
    public void PyTorch_rebuilds_the_net_encodes_the_raw_test_reviews_and_gets_the_recorded_validation_loss()
    {
        var python = PythonWithTorch();
        var script = Path.Combine(TestData.RepoRoot, "tests", "python", "imdb_kept_model.py");

        var result = ChildProcess.Run(python, [script, imdb.RunFolder.Path, imdb.Trial.Id, TestData.ImdbArchive, "--tolerance", Tolerance.ToString("R")],
            timeout: TimeSpan.FromMinutes(5));

        output.WriteLine(result.Report);
        using var line = JsonDocument.Parse(result.Output.Trim().Split('\n')[^1]);
        var pytorch = line.RootElement;
        var best = imdb.Run.Epochs.Single(e => e.Epoch == imdb.Run.Summary.BestEpoch);
        Assert.Equal(25_000, pytorch.GetProperty("rows").GetInt32());
        Assert.Equal(best.Epoch, pytorch.GetProperty("epoch").GetInt32());
        Assert.InRange(pytorch.GetProperty("val_loss").GetDouble(), best.ValLoss - Tolerance, best.ValLoss + Tolerance);
        // A prediction flips only for a logit within float rounding of 0.
        Assert.InRange(pytorch.GetProperty("val_accuracy").GetDouble(), best.ValAccuracy - 2e-4, best.ValAccuracy + 2e-4);
        Assert.Equal(0, result.ExitCode);
    }

    /// <summary>Debian's python3-torch installs for the system interpreter; a python3 earlier on the PATH (pyenv, venv) may lack it.</summary>
    private static string PythonWithTorch()
    {
        foreach (var python in new[] { "/usr/bin/python3", ChildProcess.FindExecutable("python3") })
        {
            if (python is not null && File.Exists(python) && ChildProcess.Run(python, ["-c", "import torch"], timeout: TimeSpan.FromMinutes(1)).ExitCode == 0)
                return python;
        }
        throw new InvalidOperationException("PyTorch is needed: scripts/test.sh installs it (apt-get install python3-torch), or install it for /usr/bin/python3");
    }
}
