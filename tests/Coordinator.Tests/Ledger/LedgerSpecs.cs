using GridSweep.Coordinator.Ledger;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.Configuration;
using GridSweep.Messages.Trials;
using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests.Ledger;

/// <summary>The ledger and its CSV exports on a real SQLite file, through <see cref="RunFolder"/> as the coordinator uses it.</summary>
public sealed class LedgerSpecs
{
    internal static TrialSpec Trial(string id) => new(id, "sweep", "baseline", "none", "adam", 1,
        new ModelSpec([16, 16]), RegularizerSpec.None, new OptimizerSpec("adam", 0.001), 3, 512, InputLayer.Sparse, new DatasetSpec("imdb", 10000));

    internal static EpochMetrics Epoch(int epoch) => new(epoch, 0.5 / epoch, 0.01, 0.4 + 0.01 * epoch, 0.8, 0.85, 1.5);

    internal static void Finish(RunFolder folder, string id, int epochs = 3, TrialStatus status = TrialStatus.Completed, string? error = null)
    {
        var curve = Enumerable.Range(1, epochs).Select(Epoch).ToList();
        foreach (var epoch in curve)
            folder.AppendEpoch(Trial(id), epoch);
        folder.AppendTrial(Trial(id), TrialSummary.From(status, curve, 2, error));
    }

    private static List<Dictionary<string, string>> Rows(string folder, string file) =>
        RunFolder.ReadRows(Path.Combine(folder, file), file == RunFolder.EpochsFile ? RunFolder.EpochColumns : RunFolder.TrialColumns);

    [Fact]
    public void Bytes_a_crash_left_past_the_exports_mark_are_cut_off_and_the_trials_written_again_once()
    {
        using var directory = new TempDirectory();
        using (var folder = RunFolder.Open(directory.Path))
            Finish(folder, "a");
        // A crash mid-append: half a row past what the mark vouches for, in both files.
        File.AppendAllText(Path.Combine(directory.Path, RunFolder.EpochsFile), "b,baseline,none,1,1,0.5,0.0");
        File.AppendAllText(Path.Combine(directory.Path, RunFolder.TrialsFile), "b,baseline,none,1,compl");

        using (var folder = RunFolder.Open(directory.Path))
            Finish(folder, "b");

        Assert.Equal(["a", "a", "a", "b", "b", "b"], Rows(directory.Path, RunFolder.EpochsFile).Select(r => r["trial_id"]));
        Assert.Equal(["a", "b"], Rows(directory.Path, RunFolder.TrialsFile).Select(r => r["trial_id"]));
        Assert.Equal(1 + 6, File.ReadAllLines(Path.Combine(directory.Path, RunFolder.EpochsFile)).Length);
    }

    [Fact]
    public void Lost_or_edited_exports_are_rebuilt_from_the_ledger()
    {
        using var directory = new TempDirectory();
        using (var folder = RunFolder.Open(directory.Path))
        {
            Finish(folder, "a");
            Finish(folder, "b", error: null, status: TrialStatus.Diverged);
        }
        File.Delete(Path.Combine(directory.Path, RunFolder.EpochsFile));
        File.WriteAllText(Path.Combine(directory.Path, RunFolder.TrialsFile), "trial_id,model,regularizer,seed\n");

        using (var folder = RunFolder.Open(directory.Path))
            Assert.Equal(["a", "b"], folder.Finished.Order());

        Assert.Equal(6, Rows(directory.Path, RunFolder.EpochsFile).Count);
        Assert.Equal([("a", "completed"), ("b", "diverged")], Rows(directory.Path, RunFolder.TrialsFile).Select(r => (r["trial_id"], r["status"])));
    }

    [Fact]
    public void A_failed_trial_runs_again_on_resume_and_ends_with_one_row()
    {
        using var directory = new TempDirectory();
        using (var folder = RunFolder.Open(directory.Path))
        {
            Finish(folder, "ok");
            folder.DropTrial("bad");
            folder.AppendTrial(Trial("bad"), TrialSummary.From(TrialStatus.Failed, [], 0, "attempt 1 on n: out of memory"));
            folder.Flush();
            Assert.Equal(["ok", "bad"], Rows(directory.Path, RunFolder.TrialsFile).Select(r => r["trial_id"]));
        }

        using (var folder = RunFolder.Open(directory.Path, [Trial("ok"), Trial("bad")]))
        {
            Assert.Equal(["ok"], folder.Finished);
            Assert.Equal(["ok"], Rows(directory.Path, RunFolder.TrialsFile).Select(r => r["trial_id"]));
            Finish(folder, "bad");
        }

        Assert.Equal([("ok", "completed"), ("bad", "completed")], Rows(directory.Path, RunFolder.TrialsFile).Select(r => (r["trial_id"], r["status"])));
        Assert.Equal(6, Rows(directory.Path, RunFolder.EpochsFile).Count);
    }

    [Fact]
    public void Trials_no_longer_in_the_grid_stay_in_the_ledger_but_leave_the_counts_and_the_exports()
    {
        using var directory = new TempDirectory();
        using (var folder = RunFolder.Open(directory.Path, [Trial("kept"), Trial("dropped")]))
        {
            Finish(folder, "kept");
            Finish(folder, "dropped");
        }

        using (var folder = RunFolder.Open(directory.Path, [Trial("kept"), Trial("added")]))
        {
            Assert.Equal(["kept"], folder.Finished);
            Assert.Equal(["kept"], Rows(directory.Path, RunFolder.TrialsFile).Select(r => r["trial_id"]));
        }

        // The grid as it was: the dropped trial's result was kept all along.
        using (var folder = RunFolder.Open(directory.Path, [Trial("kept"), Trial("dropped")]))
        {
            Assert.Equal(["dropped", "kept"], folder.Finished.Order());
            Assert.Equal(3, folder.RecordedEpochs("dropped").Count);
        }
    }

    [Fact]
    public void Any_text_in_an_error_round_trips_through_the_ledger_and_the_export()
    {
        using var directory = new TempDirectory();
        const string error = "attempt 1 on n: boom, \"quoted\"\nsecond line\r\ncompleted,1,2,3\n";
        using (var folder = RunFolder.Open(directory.Path))
            Finish(folder, "x", status: TrialStatus.Diverged, error: error);
        File.Delete(Path.Combine(directory.Path, RunFolder.TrialsFile)); // rebuilt from the ledger on open
        using (RunFolder.Open(directory.Path)) { }

        var row = Assert.Single(Rows(directory.Path, RunFolder.TrialsFile));
        Assert.Equal((error, "diverged"), (row["error"], row["status"]));
    }

    [Fact]
    public void Recording_never_waits_for_the_database()
    {
        using var directory = new TempDirectory();
        using var folder = RunFolder.Open(directory.Path);
        // Queued records are written by the ledger's own thread; the caller's thread only queues them.
        var before = Environment.CurrentManagedThreadId;
        Finish(folder, "a", epochs: 50);
        Assert.Equal(before, Environment.CurrentManagedThreadId);
        Assert.Equal(50, folder.RecordedEpochs("a").Count);
        Assert.Contains("a", folder.Finished);
    }

    private static DataIdentity Data(string wordIndexHash) => new([
        new DataSource(DataRoles.Dataset, "aclImdb_labeled.tar.gz", 30_000_000, new string('a', 64)),
        new DataSource(DataRoles.WordIndex, "imdb_word_index.json", 1_600_000, new string(wordIndexHash[0], 64)),
    ]);

    [Fact]
    public void Resuming_with_other_data_is_refused_with_what_differs_and_changes_nothing()
    {
        using var directory = new TempDirectory();
        using (var folder = RunFolder.Open(directory.Path, [Trial("a")], source: new SweepSource("name: sweep", Data("b"))))
            Finish(folder, "a");

        var refused = Assert.Throws<InputException>(() => RunFolder.Open(directory.Path, [Trial("a")], source: new SweepSource("name: sweep", Data("c"))));
        Assert.Contains("other data", refused.Message);
        Assert.Matches("word_index: .*sha256 cccccccc.* here, .*sha256 bbbbbbbb.* recorded", refused.Message);

        using var again = RunFolder.Open(directory.Path, [Trial("a")], source: new SweepSource("name: sweep", Data("b")));
        Assert.Equal(["a"], again.Finished);
        Assert.Equal(Data("b").Digest, again.RecordedData?.Digest);
    }

    [Fact]
    public void A_trainer_with_other_data_than_the_ledgers_is_told_what_differs_and_the_first_to_say_records_it()
    {
        using var directory = new TempDirectory();
        using (var folder = RunFolder.Open(directory.Path, [Trial("a")]))
        {
            Assert.Null(folder.RecordedData); // a head node without local slots knows no data of its own
            Assert.Null(folder.DataDifferences(Data("b")));
            Assert.Null(folder.DataDifferences(Data("b")));
            Assert.Contains(folder.DataDifferences(Data("c"))!, d => d.StartsWith("word_index:"));
        }
        // Recorded for good: a later run with other data is refused.
        Assert.Throws<InputException>(() => RunFolder.Open(directory.Path, [Trial("a")], source: new SweepSource(null, Data("c"))));
    }

    [Fact]
    public void A_changed_sweep_file_says_which_trials_it_adds_and_removes()
    {
        using var directory = new TempDirectory();
        using (var folder = RunFolder.Open(directory.Path, [Trial("a"), Trial("b")], source: new SweepSource("v1", null)))
            Assert.Null(folder.GridChange);
        using (var folder = RunFolder.Open(directory.Path, [Trial("a"), Trial("b")], source: new SweepSource("v1", null)))
            Assert.Null(folder.GridChange);
        using (var folder = RunFolder.Open(directory.Path, [Trial("a"), Trial("c"), Trial("d")], source: new SweepSource("v2", null)))
        {
            Assert.Equal(["c", "d"], folder.GridChange!.Added);
            Assert.Equal(["b"], folder.GridChange.Removed);
        }
    }
}
