using GridSweep.Runtime.CommandLine;
using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests.CommandLine;

/// <summary>
/// <c>gridsweep run</c> on the datasets beside IMDB, as a user runs it: a CSV table named relative to the sweep file,
/// Fashion-MNIST from a local folder, and a bad table that stops the run before any trial with its error.
/// </summary>
public sealed class DatasetRunSpecs : IDisposable
{
    private readonly TempDirectory directory = new("gridsweep-datasets-run");

    public void Dispose() => directory.Dispose();

    private string Sweep(string name, string dataset, int epochs, string models = "{tiny: {hidden: [8]}}")
    {
        var path = directory.Combine(name + ".yaml");
        File.WriteAllText(path, $$$"""
            name: {{{name}}}
            dataset: {{{dataset}}}
            training: {epochs: {{{epochs}}}, batch_size: 32, optimizer: {name: adam, learning_rate: 0.001}, seeds: [1]}
            grid:
              model: {{{models}}}
              regularizer: {none: {}, l2: {l2: 0.001}}
            """);
        return path;
    }

    [Fact]
    public void A_csv_table_beside_the_sweep_file_runs_as_a_regression_sweep()
    {
        File.Copy(TestData.BostonHousing, directory.Combine("houses.csv"));
        var sweep = Sweep("houses", "{name: csv, path: houses.csv, target: MEDV, task: regression}", epochs: 2);

        var result = GridSweepCli.Run("run", sweep, "--out", directory.Combine("runs"), "--plain", "--cache", directory.Combine("cache"));

        Assert.True(result.ExitCode == 0, result.Report);
        Assert.Contains("data: CSV houses.csv: 404 train / 102 validation rows, 13 features, target MEDV (regression)", result.Output);
        Assert.Contains("2 completed, 0 diverged, 0 failed", result.Output);
        Assert.Equal(1 + 2 * 2, File.ReadAllLines(directory.Combine("runs", "houses", "epochs.csv")).Length);
    }

    [Fact]
    public void A_second_run_into_a_folder_in_use_is_refused_naming_its_holder_and_a_killed_holder_leaves_no_stale_lock()
    {
        File.Copy(TestData.BostonHousing, directory.Combine("houses.csv"));
        var sweep = Sweep("owned", "{name: csv, path: houses.csv, target: MEDV, task: regression}", epochs: 100_000);
        string[] arguments = ["run", sweep, "--out", directory.Combine("runs"), "--plain", "--cache", directory.Combine("cache"), "--checkpoints", "none"];
        using var first = GridSweepCli.Start("first", GridSweepCli.Full, new Dictionary<string, string>(), arguments);
        first.WaitFor(@"epoch 1/", TimeSpan.FromMinutes(5));

        var second = GridSweepCli.Run(arguments);

        Assert.True(second.ExitCode == ExitCodes.BadInput, second.Report);
        Assert.Contains($"run folder {directory.Combine("runs", "owned")} is in use by host {Environment.MachineName}, process {first.Id}, since ", second.Error);
        first.KillHard();
        first.WaitForExit(TimeSpan.FromMinutes(1));
        Sweep("owned", "{name: csv, path: houses.csv, target: MEDV, task: regression}", epochs: 1); // The same folder, a short sweep.
        var afterKill = GridSweepCli.Run(arguments);
        Assert.True(afterKill.ExitCode == 0, afterKill.Report);
        Assert.Contains("2 completed", afterKill.Output);
    }

    [Fact]
    public void Every_trial_line_names_the_swept_axes_so_cells_of_one_model_and_regularizer_read_apart()
    {
        File.Copy(TestData.Table("iris.csv"), directory.Combine("iris.csv"));
        var sweep = directory.Combine("axes.yaml");
        File.WriteAllText(sweep, """
            name: axes
            dataset: {name: csv, path: iris.csv, target: species, task: multiclass}
            training: {epochs: 1, batch_size: 32, seeds: [1]}
            grid:
              model: {tiny: {hidden: [4]}}
              learning_rate: [0.001, 0.01]
              activation: [relu, tanh]
            """);

        var result = GridSweepCli.Run("run", sweep, "--out", directory.Combine("runs"), "--plain", "--cache", directory.Combine("cache"));

        Assert.True(result.ExitCode == 0, result.Report);
        foreach (var cell in new[] { "tiny/none/adam-lr0.001/relu", "tiny/none/adam-lr0.001/tanh", "tiny/none/adam-lr0.01/relu", "tiny/none/adam-lr0.01/tanh" })
            Assert.Contains($" {cell} seed 1 started on local", result.Output);
    }

    [Fact]
    public void Fashion_mnist_runs_from_a_local_folder_given_as_data()
    {
        var sweep = Sweep("fashion", "{name: fashion_mnist}", epochs: 1);

        var result = GridSweepCli.Run("run", sweep, "--data", TestData.FashionMnistFolder, "--out", directory.Combine("runs"), "--plain",
            "--cache", directory.Combine("cache"));

        Assert.True(result.ExitCode == 0, result.Report);
        Assert.Contains("60000 train / 10000 validation images, 784 pixels, 10 classes", result.Output);
        Assert.Contains("2 completed, 0 diverged, 0 failed", result.Output);
    }

    [Fact]
    public void A_bad_table_stops_the_run_before_any_trial_with_exit_code_2_and_its_file_line_column_and_value()
    {
        var table = directory.Combine("bad.csv");
        File.WriteAllText(table, "a,b,y\n1,2,0\n3,x7,1\n");
        var sweep = Sweep("bad", "{name: csv, path: bad.csv, target: y, task: binary}", epochs: 1);
        var output = directory.Combine("runs");

        var result = GridSweepCli.Run("run", sweep, "--out", output, "--plain", "--cache", directory.Combine("cache"));

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains($"CSV data '{table}': line 3, column 'b': feature value 'x7' is not a number", result.Error);
        Assert.DoesNotContain("started", result.Output);
        Assert.False(File.Exists(Path.Combine(output, "bad", "epochs.csv")), "nothing may be written for a table that cannot run");
    }
}
