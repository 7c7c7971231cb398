using GridSweep.Coordinator.Results;
using GridSweep.TestKit;
using Xunit.Abstractions;

namespace GridSweep.Coordinator.Tests.Cluster;

[Collection(nameof(ClusterSpecs))] // Real training: one such test at a time on two cores.
public sealed class InterruptSpecs(ITestOutputHelper report) : IDisposable
{
    private readonly TempDirectory directory = new("gridsweep-interrupt");

    public void Dispose() => directory.Dispose();

    [Fact]
    public void An_interrupted_run_keeps_its_finished_trials_and_the_same_command_resumes_it_from_the_interrupted_trials_checkpoint()
    {
        var spec = directory.Combine("interrupt.yaml");
        File.WriteAllText(spec, """
            name: interrupt
            dataset: {name: imdb, num_words: 10000}
            training: {epochs: 4, batch_size: 512, optimizer: {name: adam, learning_rate: 0.001}, seeds: [1, 2]}
            grid:
              model: {baseline: {hidden: [16, 16]}}
              regularizer: {none: {}, l2: {l2: 0.001}}
            """);
        string[] arguments = ["run", spec, "--data", TestData.ImdbArchive, "--word-index", TestData.KerasWordIndex,
            "--out", directory.Combine("runs"), "--cache", directory.Combine("cache"), "--plain"];

        using (var run = NodeProcess.Cli("run", arguments))
        {
            run.WaitFor(@"completed: best epoch", NodeProcess.HangGuard);
            run.WaitFor(@"\[2/4\] .* epoch 2/4", NodeProcess.HangGuard); // The second trial is checkpointed after epoch 2 by now.
            run.Terminate();
            var terminatedAt = DateTime.UtcNow;
            Assert.Equal(130, run.WaitForExit(NodeProcess.HangGuard));
            report.WriteLine($"the interrupted run exited {(DateTime.UtcNow - terminatedAt).TotalSeconds:F1} s after SIGTERM");
            Assert.Contains("run the same command to resume", run.Output);
        }
        var trials = Path.Combine(directory.Path, "runs", "interrupt", RunFolder.TrialsFile);
        var finishedBefore = RunFolder.ReadRows(trials, RunFolder.TrialColumns).Count;
        Assert.InRange(finishedBefore, 1, 3);

        var resumed = GridSweepCli.Run(arguments);

        Assert.True(resumed.ExitCode == 0, resumed.All);
        Assert.Contains($"{finishedBefore} already done of 4", resumed.Output);
        Assert.Matches(@"resumed on local from its checkpoint after epoch [234]/4", resumed.Output);
        Assert.False(Directory.Exists(Path.Combine(directory.Path, "runs", "interrupt", "checkpoints")), "the finished run still has checkpoints");
        var rows = RunFolder.ReadRows(trials, RunFolder.TrialColumns);
        Assert.Equal(4, rows.Select(r => r["trial_id"]).Distinct().Count());
        Assert.Equal(4, rows.Count);
        var epochs = RunFolder.ReadRows(Path.Combine(directory.Path, "runs", "interrupt", RunFolder.EpochsFile), RunFolder.EpochColumns);
        Assert.All(epochs.GroupBy(e => e["trial_id"]), curve => Assert.Equal(["1", "2", "3", "4"], curve.Select(e => e["epoch"])));
    }
}
