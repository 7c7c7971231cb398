using System.Text.RegularExpressions;
using GridSweep.Coordinator.Results;
using GridSweep.TestKit;
using Xunit.Abstractions;

namespace GridSweep.Coordinator.Tests.Cluster;

/// <summary>
/// A trainer killed with kill -9 mid-trial, as real processes on loopback with the real IMDB data: the other
/// trainer resumes the trial from the shared checkpoint store and trains only the epochs that were left, and
/// the recorded curve is the same trial's uninterrupted curve to the last digit.
/// </summary>
[Collection(nameof(ClusterSpecs))] // One cluster at a time: the machine has two cores.
public sealed class ResumeSpecs(ITestOutputHelper report) : IDisposable
{
    private const int Epochs = 12;

    private readonly TempDirectory directory = new("gridsweep-resume");
    private readonly List<ChildProcess> processes = [];

    public void Dispose()
    {
        foreach (var process in processes)
            process.Dispose();
        directory.Dispose();
    }

    private ChildProcess Track(ChildProcess process)
    {
        processes.Add(process);
        return process;
    }

    [Fact]
    public void A_trial_whose_trainer_is_killed_at_epoch_k_finishes_on_the_other_having_trained_only_the_rest_with_the_uninterrupted_curve()
    {
        var spec = directory.Combine("resume.yaml");
        File.WriteAllText(spec, $$$"""
            name: resume-study
            dataset: {name: imdb, num_words: 10000}
            training: {epochs: {{{Epochs}}}, batch_size: 512, optimizer: {name: adam, learning_rate: 0.001}, seeds: [1]}
            grid:
              model: {baseline: {hidden: [16, 16]}}
              regularizer: {dropout: {dropout: 0.5}}
            """);
        var port = Loopback.FreePort();
        var cache = directory.Combine("cache");
        string[] shared = ["--checkpoints", directory.Combine("shared-checkpoints")];
        var coordinator = Track(NodeProcess.Coordinator(spec, port, directory.Combine("runs"),
            ["--data", TestData.ImdbArchive, "--word-index", TestData.KerasWordIndex, "--cache", cache]));
        var a = Track(NodeProcess.Trainer("trainer-a", port, cache, shared));
        var trialId = coordinator.WaitFor(@"started on trainer-a", NodeProcess.HangGuard).Line.Split(' ')[1];
        Track(NodeProcess.Trainer("trainer-b", port, cache, shared));
        coordinator.WaitFor($@"{trialId} .* epoch 4/{Epochs}", NodeProcess.HangGuard);

        a.KillHard();

        coordinator.WaitFor($@"{trialId} .* queued again: trainer trainer-a lost", NodeProcess.HangGuard);
        var resumedLine = coordinator.WaitFor($@"{trialId} .* resumed on trainer-b from its checkpoint after epoch \d+/{Epochs}", NodeProcess.HangGuard).Line;
        Assert.Equal(0, coordinator.WaitForExit(NodeProcess.HangGuard));
        var k = int.Parse(Regex.Match(resumedLine, $@"after epoch (\d+)/{Epochs}").Groups[1].Value);
        Assert.InRange(k, 4, Epochs);
        report.WriteLine($"trainer-a killed at epoch {k} or {k + 1}; trainer-b resumed after epoch {k}");

        // Only epochs k+1..12 were trained after the resume: the epochs reported from then on.
        var afterResume = coordinator.Lines.SkipWhile(l => l.Line != resumedLine).Skip(1)
            .Select(l => Regex.Match(l.Line, $@"{trialId} .* epoch (\d+)/{Epochs}")).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.Equal(Enumerable.Range(k + 1, Epochs - k), afterResume);

        // The same trial trained without interruption (same id, so the same configuration) gives the same curve.
        var uninterrupted = GridSweepCli.Run("run", spec, "--data", TestData.ImdbArchive, "--word-index", TestData.KerasWordIndex,
            "--cache", cache, "--out", directory.Combine("uninterrupted"), "--plain", "--checkpoints", "none");
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Report);
        Assert.Equal(Curve(directory.Combine("uninterrupted", "resume-study")), Curve(directory.Combine("runs", "resume-study")));
        // The best weights came through the resume too (kept in the checkpoint): the same bytes as the uninterrupted run's.
        Assert.Equal(File.ReadAllBytes(directory.Combine("uninterrupted", "resume-study", "models", trialId + ".safetensors")),
            File.ReadAllBytes(directory.Combine("runs", "resume-study", "models", trialId + ".safetensors")));
        Assert.False(Directory.Exists(directory.Combine("shared-checkpoints", trialId)), "the finished trial's checkpoint is still in the store");
    }

    /// <summary>Every column of every epoch row but the wall-clock seconds, in file order.</summary>
    private static List<string> Curve(string runFolder)
    {
        var rows = RunFolder.ReadRows(Path.Combine(runFolder, RunFolder.EpochsFile), RunFolder.EpochColumns);
        Assert.Equal(Epochs, rows.Count);
        return rows.Select(row => string.Join(",", RunFolder.EpochColumns.Where(c => c != "seconds").Select(c => row[c]))).ToList();
    }
}
