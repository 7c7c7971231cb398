using GridSweep.Coordinator.Results;
using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests;

public sealed class RunCommandSpecs
{
    private const string SmallSweep = """
        name: small-study
        dataset: {name: imdb, num_words: 10000}
        training:
          epochs: 2
          batch_size: 512
          optimizer: {name: adam, learning_rate: 0.001}
          input_layer: sparse
          seeds: [1]
        grid:
          model:
            baseline: {hidden: [16, 16]}
            smaller:  {hidden: [4, 4]}
          regularizer:
            none: {}
            l2:   {l2: 0.001}
        """;

    [Fact]
    public void Help_explains_the_run_command_and_its_flags()
    {
        var result = GridSweepCli.Run("run", "--help");
        Assert.Equal(0, result.ExitCode);
        foreach (var flag in new[] { "--data", "--out", "--device", "--word-index", "--cache" })
            Assert.Contains(flag, result.Output);
    }

    [Fact]
    public void A_bad_sweep_file_is_reported_with_file_line_field_and_value_and_nothing_is_written()
    {
        using var directory = new TempDirectory();
        var spec = Path.Combine(directory.Path, "bad.yaml");
        File.WriteAllText(spec, SmallSweep.Replace("input_layer: sparse", "input_layer: spars"));
        var output = Path.Combine(directory.Path, "runs");

        var result = GridSweepCli.Run("run", spec, "--out", output, "--cache", Path.Combine(directory.Path, "cache"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("bad.yaml:7:", result.All);
        Assert.Contains("training.input_layer", result.All);
        Assert.Contains("spars", result.All);
        Assert.Contains("sparse, dense", result.All);
        Assert.False(Directory.Exists(output), "a bad spec must not create the results folder");
    }

    [Fact]
    public void A_missing_data_path_is_reported_and_nothing_is_written()
    {
        using var directory = new TempDirectory();
        var spec = Path.Combine(directory.Path, "small.yaml");
        File.WriteAllText(spec, SmallSweep);
        var output = Path.Combine(directory.Path, "runs");
        var missing = Path.Combine(directory.Path, "nowhere.tar.gz");

        var result = GridSweepCli.Run("run", spec, "--data", missing, "--out", output, "--cache", Path.Combine(directory.Path, "cache"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--data", result.All);
        Assert.Contains("nowhere.tar.gz", result.All);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void A_short_study_on_the_real_archive_writes_one_curve_per_trial_and_a_rerun_trains_nothing_again()
    {
        using var directory = new TempDirectory();
        var spec = Path.Combine(directory.Path, "small.yaml");
        File.WriteAllText(spec, SmallSweep);
        var output = Path.Combine(directory.Path, "runs");
        string[] arguments = ["run", spec, "--data", TestData.ImdbArchive, "--word-index", TestData.KerasWordIndex,
            "--out", output, "--cache", Path.Combine(directory.Path, "cache")];

        var first = GridSweepCli.Run(arguments);

        Assert.True(first.ExitCode == 0, first.All);
        var folder = Path.Combine(output, "small-study");
        var epochs = RunFolder.ReadRows(Path.Combine(folder, "epochs.csv"), RunFolder.EpochColumns);
        var trials = RunFolder.ReadRows(Path.Combine(folder, "trials.csv"), RunFolder.TrialColumns);
        Assert.Equal(4, trials.Count);
        Assert.All(trials, t => Assert.Equal("completed", t["status"]));
        Assert.Equal(4, trials.Select(t => t["trial_id"]).Distinct().Count());
        foreach (var trial in trials)
        {
            var curve = epochs.Where(e => e["trial_id"] == trial["trial_id"]).ToList();
            Assert.Equal(["1", "2"], curve.Select(e => e["epoch"]));
            // Two epochs on the real reviews already classify well above chance (the textbook reaches 0.88).
            Assert.InRange(CsvFormat.ParseNumber(curve[^1]["val_accuracy"]), 0.80, 1.0);
        }
        Assert.All(epochs.Where(e => e["regularizer"] == "l2"), e => Assert.True(CsvFormat.ParseNumber(e["train_penalty"]) > 0));
        Assert.Contains("4 completed", first.Output);
        // Every trial's best weights are in models/, and evaluate reproduces the recorded best epoch from them.
        foreach (var trial in trials)
        {
            Assert.True(File.Exists(Path.Combine(folder, "models", trial["trial_id"] + ".safetensors")), $"no kept model of {trial["trial_id"]}");
            Assert.Contains($"\"epoch\": {trial["best_epoch"]},", File.ReadAllText(Path.Combine(folder, "models", trial["trial_id"] + ".json")));
        }
        Assert.Equal(8, Directory.GetFiles(Path.Combine(folder, "models")).Length);
        Assert.False(Directory.Exists(Path.Combine(folder, "checkpoints")), "a finished run keeps checkpoints");
        var evaluated = GridSweepCli.Run("evaluate", folder, trials[0]["trial_id"], "--data", TestData.ImdbArchive, "--word-index", TestData.KerasWordIndex,
            "--cache", Path.Combine(directory.Path, "cache"));
        Assert.True(evaluated.ExitCode == 0, evaluated.Report);

        var epochsBefore = File.ReadAllText(Path.Combine(folder, "epochs.csv"));
        var second = GridSweepCli.Run(arguments);
        Assert.True(second.ExitCode == 0, second.All);
        Assert.Contains("4 already done", second.Output);
        Assert.Equal(epochsBefore, File.ReadAllText(Path.Combine(folder, "epochs.csv")));
    }
}
