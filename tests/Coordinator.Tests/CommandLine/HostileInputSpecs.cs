using GridSweep.Runtime.CommandLine;
using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests.CommandLine;

/// <summary>
/// Local state that cannot be used and input the trainer cannot take, each refused by the real program with exit code 2,
/// a message naming the path, file, line or field and what to set, and nothing half-written.
/// </summary>
public sealed class HostileInputSpecs : IDisposable
{
    private readonly TempDirectory directory = new("gridsweep-hostile");

    public HostileInputSpecs() => File.Copy(TestData.BostonHousing, directory.Combine("houses.csv"));

    public void Dispose() => directory.Dispose();

    private string Runs => directory.Combine("runs");

    private string Sweep(string name = "houses", int epochs = 2, string optimizer = "{name: adam, learning_rate: 0.001}")
    {
        var path = directory.Combine(name.Length > 50 ? "long.yaml" : name + ".yaml");
        File.WriteAllText(path, $$$"""
            name: {{{name}}}
            dataset: {name: csv, path: houses.csv, target: MEDV, task: regression}
            training: {epochs: {{{epochs}}}, batch_size: 32, optimizer: {{{optimizer}}}, seeds: [1]}
            grid:
              model: {tiny: {hidden: [8]}}
              regularizer: {none: {}, l2: {l2: 0.001}}
            """);
        return path;
    }

    /// <summary>An InfluxDB nobody listens on: the spool is what matters here.</summary>
    private static string[] Influx(params string[] more) =>
        ["--influx-url", $"http://127.0.0.1:{Loopback.FreePort()}", "--influx-api", "v1", "--influx-bucket", "gridsweep", .. more];

    private ProcessResult Run(string sweep, IReadOnlyDictionary<string, string>? environment = null, params string[] more) =>
        GridSweepCli.RunProgram(GridSweepCli.Full, directory.Path, environment ?? new Dictionary<string, string>(),
            ["run", sweep, "--out", Runs, "--plain", "--cache", directory.Combine("cache"), "--checkpoints", "none", .. more]);

    private void AssertRefusedBeforeAnything(ProcessResult result)
    {
        Assert.True(result.ExitCode == ExitCodes.BadInput, result.Report);
        Assert.DoesNotContain("data: ", result.Output); // Refused before the data loaded.
        Assert.False(Directory.Exists(Runs), "nothing may be written for a refused run");
        Assert.DoesNotContain("Unhandled exception", result.All);
    }

    [Fact]
    public void A_metrics_spool_on_a_read_only_file_system_is_refused_naming_it_and_the_setting()
    {
        using var readOnly = Tmpfs.Mount(directory.Combine("ro"), "ro,size=1m");
        var spool = Path.Combine(readOnly.Path, "spool");

        var result = Run(Sweep(), null, Influx("--influx-spool", spool));

        AssertRefusedBeforeAnything(result);
        Assert.Contains($"the metrics spool {spool} cannot be used", result.Error);
        Assert.Contains("--influx-spool (setting GridSweep:Influx:Spool, environment GridSweep__Influx__Spool)", result.Error);
    }

    [Fact]
    public void The_default_state_folder_under_a_read_only_root_is_refused_saying_which_variable_moves_it()
    {
        using var readOnly = Tmpfs.Mount(directory.Combine("ro-root"), "ro,size=1m");

        var result = Run(Sweep(), new Dictionary<string, string> { ["XDG_STATE_HOME"] = readOnly.Path }, Influx());

        AssertRefusedBeforeAnything(result);
        Assert.Contains($"the metrics spool {Path.Combine(readOnly.Path, "gridsweep", "influx-spool")} cannot be used", result.Error);
        Assert.Contains("XDG_STATE_HOME", result.Error);
        Assert.Contains("--influx-spool", result.Error);
    }

    [Fact]
    public void A_metrics_spool_under_a_file_is_refused_naming_the_file()
    {
        var file = directory.Combine("not-a-folder");
        File.WriteAllText(file, "x");

        var result = Run(Sweep(), null, Influx("--influx-spool", Path.Combine(file, "spool")));

        AssertRefusedBeforeAnything(result);
        Assert.Contains($"{file} is a file, not a folder", result.Error);
        Assert.Contains("--influx-spool", result.Error);
    }

    [Fact]
    public void A_metrics_spool_held_by_another_gridsweep_process_is_refused_naming_it()
    {
        var spool = directory.Combine("spool");
        var influx = Influx("--influx-spool", spool);
        using var first = GridSweepCli.Start("first", GridSweepCli.Full, new Dictionary<string, string>(),
            ["run", Sweep("held", epochs: 100_000), "--out", directory.Combine("first-runs"), "--plain", "--cache", directory.Combine("cache"), "--checkpoints", "none", .. influx]);
        first.WaitFor("epoch 1/", TimeSpan.FromMinutes(5));

        var second = Run(Sweep(), null, influx);

        first.KillHard();
        AssertRefusedBeforeAnything(second);
        Assert.Contains($"the metrics spool {spool} is in use by another process", second.Error);
        Assert.Contains("--influx-spool", second.Error);
    }

    [Theory]
    [InlineData("1e308")]
    [InlineData("1e-45")]
    [InlineData(".nan")]
    public void A_learning_rate_the_trainer_cannot_represent_is_refused_at_validation_with_file_line_and_field(string rate)
    {
        var result = Run(Sweep(optimizer: $"{{name: adam, learning_rate: {rate}}}"));

        AssertRefusedBeforeAnything(result);
        Assert.Contains("houses.yaml:3:", result.Error);
        Assert.Contains("training.optimizer.learning_rate", result.Error);
        Assert.Contains(rate, result.Error);
    }

    [Fact]
    public void A_300_character_sweep_name_is_refused_at_once_naming_the_limit()
    {
        var result = Run(Sweep(name: new string('n', 300)));

        AssertRefusedBeforeAnything(result);
        Assert.Contains("long.yaml:1:7: name:", result.Error);
        Assert.Contains("is 300 characters long; a name has at most 100", result.Error);
    }

    [Fact]
    public void Data_that_is_a_fifo_is_refused_instead_of_waiting_for_a_writer()
    {
        var fifo = directory.Combine("data.fifo");
        var made = ChildProcess.Run("mkfifo", [fifo]);
        Assert.True(made.ExitCode == 0, made.Report);

        var result = Run(Sweep(), null, "--data", fifo);

        AssertRefusedBeforeAnything(result);
        Assert.Contains($"--data: '{fifo}' is not a regular file or folder (a FIFO, socket or device)", result.Error);
    }

    [Fact]
    public void Data_that_is_a_symbolic_link_loop_is_refused_with_exit_code_2()
    {
        var one = directory.Combine("one.csv");
        var other = directory.Combine("other.csv");
        File.CreateSymbolicLink(one, other);
        File.CreateSymbolicLink(other, one);

        var result = Run(Sweep(), null, "--data", one);

        AssertRefusedBeforeAnything(result);
        Assert.Contains($"--data: '{one}' is a symbolic link that does not resolve", result.Error);
    }

    [Fact]
    public void An_imdb_copy_missing_3000_training_reviews_is_refused_counting_what_was_found()
    {
        var copy = directory.Combine("imdb");
        Directory.CreateDirectory(copy);
        var extracted = ChildProcess.Run("tar", ["-xzf", TestData.ImdbArchive, "-C", copy]);
        Assert.True(extracted.ExitCode == 0, extracted.Report);
        var train = Directory.EnumerateDirectories(copy, "train", SearchOption.AllDirectories).Single();
        foreach (var label in new[] { "pos", "neg" })
        {
            foreach (var review in Directory.EnumerateFiles(Path.Combine(train, label), "*.txt").Order(StringComparer.Ordinal).Take(1_500).ToList())
                File.Delete(review);
        }
        var sweep = directory.Combine("imdb.yaml");
        File.WriteAllText(sweep, """
            name: damaged
            dataset: {name: imdb, num_words: 1000}
            training: {epochs: 1, batch_size: 512, optimizer: {name: adam, learning_rate: 0.001}, seeds: [1]}
            grid:
              model: {tiny: {hidden: [4]}}
            """);

        var result = Run(sweep, null, "--data", copy, "--word-index", TestData.KerasWordIndex);

        Assert.True(result.ExitCode == ExitCodes.BadInput, result.Report);
        Assert.Contains($"--data (setting GridSweep:Trainer:Data", result.Error);
        Assert.Contains("is incomplete: found 22,000 training and 25,000 test reviews, expected 25,000 of each (3,000 training and 0 test reviews missing)", result.Error);
        Assert.Contains("--allow-partial-data", result.Error);
        Assert.False(Directory.Exists(Runs), "nothing may be written for a refused run");
    }

    [Fact]
    public void A_full_disk_at_start_is_refused_naming_the_folder_and_leaves_nothing_behind()
    {
        using var disk = Tmpfs.Mount(directory.Combine("full"), "size=256k");
        disk.Fill("filler");
        var runs = Path.Combine(disk.Path, "runs");

        var result = GridSweepCli.RunProgram(GridSweepCli.Full, directory.Path, new Dictionary<string, string>(),
            "run", Sweep(), "--out", runs, "--plain", "--cache", directory.Combine("cache"), "--checkpoints", "none");

        Assert.True(result.ExitCode == ExitCodes.BadInput, result.Report);
        Assert.Contains($"no space left in {Path.Combine(runs, "houses")}", result.Error);
        Assert.Contains("run the same command again", result.Error);
        Assert.DoesNotContain("Unhandled exception", result.All);
        Assert.False(Directory.Exists(runs), "the folders this run created go again");
    }

    [Fact]
    public void A_disk_that_fills_mid_run_stops_the_sweep_cleanly_and_the_same_command_resumes_every_trial_exactly_once()
    {
        const int Epochs = 400;
        using var disk = Tmpfs.Mount(directory.Combine("filling"), "size=16m");
        var runs = Path.Combine(disk.Path, "runs");
        var folder = Path.Combine(runs, "filling");
        string[] arguments = ["run", Sweep("filling", Epochs), "--out", runs, "--plain", "--cache", directory.Combine("cache"), "--checkpoints", "none"];
        using (var run = GridSweepCli.Start("filling", GridSweepCli.Full, new Dictionary<string, string>(), arguments))
        {
            run.WaitFor("epoch 5/", TimeSpan.FromMinutes(5));
            disk.Fill("filler");
            Assert.True(run.WaitForExit(TimeSpan.FromMinutes(5)) == ExitCodes.BadInput, run.Output);
            Assert.Contains($"no space left in {folder}", run.Output);
            Assert.Contains("run the same command again", run.Output);
            Assert.DoesNotContain("Restarting", run.Output);
        }

        File.Delete(Path.Combine(disk.Path, "filler"));
        var resumed = GridSweepCli.RunProgram(GridSweepCli.Full, directory.Path, new Dictionary<string, string>(), arguments);

        Assert.True(resumed.ExitCode == 0, resumed.Report);
        Assert.Contains("2 completed, 0 diverged, 0 failed", resumed.Output);
        var trials = File.ReadAllLines(Path.Combine(folder, "trials.csv")).Skip(1).Select(line => line.Split(',')[0]).ToList();
        Assert.Equal(2, trials.Distinct().Count());
        Assert.Equal(2, trials.Count);
        var epochs = File.ReadAllLines(Path.Combine(folder, "epochs.csv")).Skip(1).Select(line => line.Split(',')).Select(row => $"{row[0]} {row[4]}").ToList();
        Assert.Equal(2 * Epochs, epochs.Count);
        Assert.Equal(epochs.Count, epochs.Distinct().Count());
    }
}
