using GridSweep.Coordinator.Results;
using GridSweep.TestKit;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace GridSweep.Coordinator.Tests.Cluster;

/// <summary>
/// <c>kill -9</c> of <c>gridsweep run</c> at random moments, again and again, then the same command to the end:
/// nothing lost, nothing doubled, the exports equal the ledger. Real processes, real training on the Boston table.
/// </summary>
[Collection(nameof(ClusterSpecs))] // Real training: one such test at a time on two cores.
public sealed class KillSpecs(ITestOutputHelper report) : IDisposable
{
    private const int Kills = 20;
    private const int Trials = 96;
    private const int Epochs = 40;

    private readonly TempDirectory directory = new("gridsweep-kill");

    public void Dispose() => directory.Dispose();

    [Fact]
    public void A_run_killed_20_times_at_random_moments_ends_with_every_trial_once_and_exports_equal_to_its_ledger()
    {
        var spec = directory.Combine("killed.yaml");
        File.WriteAllText(spec, $$$"""
            name: killed
            dataset: {name: csv, path: {{{TestData.BostonHousing}}}, target: MEDV, task: regression, validation: 0.2, split_seed: 113}
            training: {epochs: {{{Epochs}}}, batch_size: 16, optimizer: {name: adam, learning_rate: 0.001}, seeds: [1, 2, 3, 4, 5, 6, 7, 8]}
            grid:
              model: {small: {hidden: [16]}, wide: {hidden: [64, 64]}, deep: {hidden: [32, 32, 32]}}
              regularizer: {none: {}, l2: {l2: 0.001}, dropout: {dropout: 0.3}, both: {l2: 0.001, dropout: 0.3}}
            """);
        var output = directory.Combine("runs");
        string[] arguments = ["run", spec, "--out", output, "--cache", directory.Combine("cache"), "--plain"];
        var folder = Path.Combine(output, "killed");
        var random = new Random(20261202);

        for (var kill = 1; kill <= Kills; kill++)
        {
            using var run = NodeProcess.Cli($"run-{kill}", arguments);
            // Somewhere between the ledger's opening and the middle of a trial, an epoch written or not.
            run.WaitFor(@"(started on|resumed on|epoch \d+/)", NodeProcess.HangGuard);
            if (kill == 1)
            {
                var second = GridSweepCli.Run(arguments);
                Assert.True(second.ExitCode == 2, second.Report);
                Assert.Matches(@"run folder .* is in use by host .*, process \d+, since", second.All);
            }
            Thread.Sleep(random.Next(0, 1500));
            run.KillHard();
            var ended = RunFolder.ReadRows(Path.Combine(folder, RunFolder.TrialsFile), RunFolder.TrialColumns);
            report.WriteLine($"kill {kill}: {ended.Count} trials ended before it");
            Assert.Equal(ended.Count, ended.Select(r => r["trial_id"]).Distinct().Count());
        }

        var last = GridSweepCli.Run(arguments);
        Assert.True(last.ExitCode == 0, last.Report);
        report.WriteLine(last.Output.Split('\n').LastOrDefault(l => l.Contains("already done")) ?? "");

        var trials = RunFolder.ReadRows(Path.Combine(folder, RunFolder.TrialsFile), RunFolder.TrialColumns);
        Assert.Equal(Trials, trials.Count);
        Assert.Equal(Trials, trials.Select(r => r["trial_id"]).Distinct().Count());
        Assert.All(trials, t => Assert.Equal("completed", t["status"]));
        var epochs = RunFolder.ReadRows(Path.Combine(folder, RunFolder.EpochsFile), RunFolder.EpochColumns);
        Assert.All(epochs.GroupBy(e => e["trial_id"]),
            curve => Assert.Equal(Enumerable.Range(1, Epochs).Select(e => e.ToString()), curve.Select(e => e["epoch"])));
        Assert.Equal(Trials * Epochs, epochs.Count);

        // The exports say what the ledger says, number for number.
        using var ledger = new SqliteConnection($"Data Source={Path.Combine(folder, RunFolder.LedgerFile)};Mode=ReadOnly;Pooling=False");
        ledger.Open();
        using var query = ledger.CreateCommand();
        query.CommandText = "SELECT trial_id, epoch, train_loss, val_loss, val_mae FROM gridsweep_epochs ORDER BY trial_id, epoch";
        var recorded = new List<string>();
        using (var reader = query.ExecuteReader())
        {
            while (reader.Read())
                recorded.Add($"{reader.GetString(0)},{reader.GetInt32(1)},{CsvFormat.Number(reader.GetDouble(2))},{CsvFormat.Number(reader.GetDouble(3))},{CsvFormat.Number(reader.GetDouble(4))}");
        }
        var exported = epochs.Select(e => $"{e["trial_id"]},{e["epoch"]},{e["train_loss"]},{e["val_loss"]},{e["val_mae"]}").Order(StringComparer.Ordinal);
        Assert.Equal(recorded.Order(StringComparer.Ordinal), exported);
    }
}
