using GridSweep.Coordinator.Results;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests;

public sealed class RunFolderSpecs
{
    private static TrialSpec Trial(string id) => new(id, "sweep", "baseline", "none", "adam", 1,
        new ModelSpec([16, 16]), RegularizerSpec.None, new OptimizerSpec("adam", 0.001), 2, 512, InputLayer.Sparse, new DatasetSpec("imdb", 10000));

    private static EpochMetrics Epoch(int epoch) => new(epoch, 0.5 / epoch, 0.01, 0.4, 0.8, 0.85, 1.5);

    [Fact]
    public void The_files_have_exactly_the_documented_headers()
    {
        using var directory = new TempDirectory();
        using (RunFolder.Open(directory.Path)) { }
        Assert.Equal("trial_id,model,regularizer,seed,epoch,train_loss,train_penalty,val_loss,train_accuracy,val_accuracy,seconds",
            File.ReadLines(Path.Combine(directory.Path, "epochs.csv")).First());
        Assert.StartsWith("trial_id,model,regularizer,seed,status,best_epoch,best_val_loss,final_val_loss,final_gap,best_val_accuracy,seconds",
            File.ReadLines(Path.Combine(directory.Path, "trials.csv")).First());
    }

    [Fact]
    public void Epoch_rows_are_on_disk_after_a_flush()
    {
        using var directory = new TempDirectory();
        using var folder = RunFolder.Open(directory.Path);
        folder.AppendEpoch(Trial("aaa"), Epoch(1));
        folder.Flush();
        var lines = ReadShared(Path.Combine(directory.Path, "epochs.csv"));
        Assert.Equal("aaa,baseline,none,1,1,0.5,0.01,0.4,0.8,0.85,1.5", lines[1]);
    }

    [Fact]
    public void A_finished_trial_is_on_disk_with_its_whole_curve_at_once()
    {
        using var directory = new TempDirectory();
        using var folder = RunFolder.Open(directory.Path);
        folder.AppendEpoch(Trial("aaa"), Epoch(1));
        folder.AppendEpoch(Trial("aaa"), Epoch(2));
        folder.AppendTrial(Trial("aaa"), TrialSummary.From(TrialStatus.Completed, [Epoch(1), Epoch(2)], 3));
        Assert.Equal(3, ReadShared(Path.Combine(directory.Path, "epochs.csv")).Length);
        Assert.Equal(2, ReadShared(Path.Combine(directory.Path, "trials.csv")).Length);
    }

    [Fact]
    public void Dropping_an_abandoned_attempt_removes_only_its_rows()
    {
        using var directory = new TempDirectory();
        using var folder = RunFolder.Open(directory.Path);
        folder.AppendEpoch(Trial("keep"), Epoch(1));
        folder.AppendEpoch(Trial("lost"), Epoch(1));
        folder.AppendEpoch(Trial("lost"), Epoch(2));
        folder.Flush();
        folder.DropTrial("lost");
        folder.AppendEpoch(Trial("lost"), Epoch(1));
        folder.Flush();
        var rows = RunFolder.ReadRows(Path.Combine(directory.Path, "epochs.csv"), RunFolder.EpochColumns);
        Assert.Equal([("keep", "1"), ("lost", "1")], rows.Select(r => (r["trial_id"], r["epoch"])));
    }

    [Fact]
    public void Reopening_keeps_finished_trials_and_drops_the_curves_of_unfinished_attempts()
    {
        using var directory = new TempDirectory();
        using (var folder = RunFolder.Open(directory.Path))
        {
            folder.AppendEpoch(Trial("done"), Epoch(1));
            folder.AppendEpoch(Trial("done"), Epoch(2));
            folder.AppendTrial(Trial("done"), TrialSummary.From(TrialStatus.Completed, [Epoch(1), Epoch(2)], 3));
            folder.AppendEpoch(Trial("cut"), Epoch(1)); // the process died here
            folder.AppendEpoch(Trial("failed"), Epoch(1));
            folder.AppendTrial(Trial("failed"), TrialSummary.From(TrialStatus.Failed, [Epoch(1)], 1, "boom"));
        }

        using var reopened = RunFolder.Open(directory.Path);
        Assert.Equal(["done"], reopened.Finished);
        var epochs = RunFolder.ReadRows(Path.Combine(directory.Path, "epochs.csv"), RunFolder.EpochColumns);
        Assert.Equal(["done", "done"], epochs.Select(r => r["trial_id"]));
        var trials = RunFolder.ReadRows(Path.Combine(directory.Path, "trials.csv"), RunFolder.TrialColumns);
        Assert.Equal("done", Assert.Single(trials)["trial_id"]);
    }

    [Fact]
    public void A_torn_last_line_from_a_crash_is_ignored()
    {
        using var directory = new TempDirectory();
        using (var folder = RunFolder.Open(directory.Path))
        {
            folder.AppendEpoch(Trial("done"), Epoch(1));
            folder.AppendTrial(Trial("done"), TrialSummary.From(TrialStatus.Completed, [Epoch(1)], 3));
        }
        File.AppendAllText(Path.Combine(directory.Path, "trials.csv"), "next,baseline,no");
        using var reopened = RunFolder.Open(directory.Path);
        Assert.Equal(["done"], reopened.Finished);
    }

    [Fact]
    public void Non_finite_numbers_are_written_the_way_pandas_reads_them()
    {
        Assert.Equal("nan", CsvFormat.Number(double.NaN));
        Assert.Equal("inf", CsvFormat.Number(double.PositiveInfinity));
        Assert.True(double.IsNaN(CsvFormat.ParseNumber("nan")));
        Assert.Equal(0.1, CsvFormat.ParseNumber(CsvFormat.Number(0.1)));
    }

    [Fact]
    public void A_field_with_a_comma_or_quote_round_trips()
    {
        var line = CsvFormat.Line(["a", CsvFormat.Field("x, \"y\""), "c"]);
        Assert.Equal(["a", "x, \"y\"", "c"], CsvFormat.Split(line));
    }

    private static string[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
