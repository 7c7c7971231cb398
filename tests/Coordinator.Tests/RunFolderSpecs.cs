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

    private static TrialSpec RegressionTrial(string id) => Trial(id) with
    {
        Optimizer = "sgd-lr0.01",
        OptimizerConfig = new OptimizerSpec("sgd", 0.01),
        ModelConfig = new ModelSpec([64, 64], Activations.Tanh),
        BatchSize = 32,
        Epochs = 200,
        Dataset = new DatasetSpec("csv", 0, Path: "/data/boston.csv", Target: "MEDV", DeclaredTask: LearningTask.Regression),
    };

    private static EpochMetrics RegressionEpoch(int epoch) => new(epoch, 20.0 / epoch, 0, 25, double.NaN, double.NaN, 0.5, 3.5, 4.25);

    private const string OldEpochHeader = "trial_id,model,regularizer,seed,epoch,train_loss,train_penalty,val_loss,train_accuracy,val_accuracy,seconds";
    private const string OldTrialHeader = "trial_id,model,regularizer,seed,status,best_epoch,best_val_loss,final_val_loss,final_gap,best_val_accuracy,seconds,optimizer,error";

    [Fact]
    public void The_grids_ids_are_recorded_in_ordinal_order_whether_or_not_they_are_all_trial_ids()
    {
        // Trial ids sort as numbers (their ordinal order); any other id sends the whole set back to string comparison.
        var random = new Random(7);
        var trialIds = Enumerable.Range(0, 5_000).Select(_ => random.NextInt64(1L << 48).ToString("x12")).Append("000000000000").Append("ffffffffffff").Distinct().ToList();
        List<string> mixed = [.. trialIds.Take(100), "t1", "T2", "0123456789AB", "abc"];

        Assert.Equal(string.Join('\n', trialIds.Order(StringComparer.Ordinal)), RunFolder.SortedLines(trialIds));
        Assert.Equal(string.Join('\n', mixed.Order(StringComparer.Ordinal)), RunFolder.SortedLines(mixed));
        Assert.Equal("", RunFolder.SortedLines([]));
    }

    [Fact]
    public void The_files_have_exactly_the_documented_headers()
    {
        using var directory = new TempDirectory();
        using (RunFolder.Open(directory.Path)) { }
        Assert.Equal(OldEpochHeader + ",optimizer,learning_rate,activation,batch_size,epochs,task,train_mae,val_mae,early_stopping",
            File.ReadLines(Path.Combine(directory.Path, "epochs.csv")).First());
        Assert.Equal(OldTrialHeader + ",learning_rate,activation,batch_size,epochs,task,best_val_mae,early_stopping,stopped_epoch,stop_reason",
            File.ReadLines(Path.Combine(directory.Path, "trials.csv")).First());
    }

    [Fact]
    public void An_epoch_is_in_the_ledger_at_once_and_in_epochs_csv_with_its_trials_end()
    {
        using var directory = new TempDirectory();
        using var folder = RunFolder.Open(directory.Path);
        folder.AppendEpoch(Trial("aaa"), Epoch(1));
        Assert.Equal([Epoch(1)], folder.RecordedEpochs("aaa"));
        folder.Flush();
        Assert.Single(ReadShared(Path.Combine(directory.Path, "epochs.csv"))); // the header: aaa has not ended

        folder.AppendTrial(Trial("aaa"), TrialSummary.From(TrialStatus.Completed, [Epoch(1)], 3));
        folder.Flush();
        var lines = ReadShared(Path.Combine(directory.Path, "epochs.csv"));
        Assert.Equal("aaa,baseline,none,1,1,0.5,0.01,0.4,0.8,0.85,1.5,adam,0.001,relu,512,2,binary,,,none", lines[1]);
    }

    [Fact]
    public void A_regression_epoch_has_its_mae_and_no_accuracy()
    {
        using var directory = new TempDirectory();
        using var folder = RunFolder.Open(directory.Path);
        folder.AppendEpoch(RegressionTrial("reg"), RegressionEpoch(1));
        folder.AppendTrial(RegressionTrial("reg"), TrialSummary.From(TrialStatus.Completed, [RegressionEpoch(1)], 3));
        folder.Flush();
        Assert.Equal("reg,baseline,none,1,1,20,0,25,,,0.5,sgd-lr0.01,0.01,tanh,32,200,regression,3.5,4.25,none",
            ReadShared(Path.Combine(directory.Path, "epochs.csv"))[1]);
    }

    [Fact]
    public void A_regression_trial_has_its_best_mae_and_no_accuracy()
    {
        using var directory = new TempDirectory();
        using var folder = RunFolder.Open(directory.Path);
        folder.AppendTrial(RegressionTrial("reg"), TrialSummary.From(TrialStatus.Completed, [RegressionEpoch(1), RegressionEpoch(2)], 3));
        folder.Flush();
        var row = Assert.Single(RunFolder.ReadRows(Path.Combine(directory.Path, "trials.csv"), RunFolder.TrialColumns));
        Assert.Equal("", row["best_val_accuracy"]);
        Assert.Equal("4.25", row["best_val_mae"]);
        Assert.Equal(("sgd-lr0.01", "0.01", "tanh", "32", "200", "regression"),
            (row["optimizer"], row["learning_rate"], row["activation"], row["batch_size"], row["epochs"], row["task"]));
    }

    [Fact]
    public void A_classification_trial_leaves_the_mae_empty()
    {
        using var directory = new TempDirectory();
        using var folder = RunFolder.Open(directory.Path);
        folder.AppendTrial(Trial("cls"), TrialSummary.From(TrialStatus.Completed, [Epoch(1)], 3));
        folder.Flush();
        var row = Assert.Single(RunFolder.ReadRows(Path.Combine(directory.Path, "trials.csv"), RunFolder.TrialColumns));
        Assert.Equal("0.85", row["best_val_accuracy"]);
        Assert.Equal("", row["best_val_mae"]);
        Assert.Equal("binary", row["task"]);
    }

    [Fact]
    public void A_stopped_trial_is_completed_with_its_stopped_epoch_its_reason_and_its_early_stopping_label()
    {
        using var directory = new TempDirectory();
        var trial = Trial("stop") with { EarlyStopping = new EarlyStoppingSpec(Patience: 1), EarlyStoppingLabel = "patient" };
        const string reason = "val_loss did not improve by more than 0 for 1 epoch after epoch 1 (best 0.4)";
        using (var folder = RunFolder.Open(directory.Path))
        {
            folder.AppendEpoch(trial, Epoch(1));
            folder.AppendEpoch(trial, Epoch(2));
            folder.AppendTrial(trial, TrialSummary.From(TrialStatus.Completed, [Epoch(1), Epoch(2)], 3) with { StoppedEpoch = 2, StopReason = reason });
        }

        using var reopened = RunFolder.Open(directory.Path);
        Assert.Equal(["stop"], reopened.Finished);
        var row = Assert.Single(RunFolder.ReadRows(Path.Combine(directory.Path, "trials.csv"), RunFolder.TrialColumns));
        Assert.Equal(("completed", "patient", "2", reason), (row["status"], row["early_stopping"], row["stopped_epoch"], row["stop_reason"]));
        Assert.All(RunFolder.ReadRows(Path.Combine(directory.Path, "epochs.csv"), RunFolder.EpochColumns), epoch => Assert.Equal("patient", epoch["early_stopping"]));
    }

    [Fact]
    public void A_trial_that_ran_every_epoch_leaves_stopped_epoch_and_reason_empty()
    {
        using var directory = new TempDirectory();
        using var folder = RunFolder.Open(directory.Path);
        folder.AppendTrial(Trial("full"), TrialSummary.From(TrialStatus.Completed, [Epoch(1), Epoch(2)], 3));
        folder.Flush();
        var row = Assert.Single(RunFolder.ReadRows(Path.Combine(directory.Path, "trials.csv"), RunFolder.TrialColumns));
        Assert.Equal(("none", "", ""), (row["early_stopping"], row["stopped_epoch"], row["stop_reason"]));
    }

    [Fact]
    public void A_multi_line_error_followed_by_the_new_columns_round_trips_through_a_resume()
    {
        using var directory = new TempDirectory();
        const string error = "loss blew up at epoch 2\n  at Trainer.Step(), \"batch\" 7\r\nsee log";
        using (var folder = RunFolder.Open(directory.Path))
        {
            folder.AppendEpoch(RegressionTrial("blown"), RegressionEpoch(1));
            folder.AppendTrial(RegressionTrial("blown"), TrialSummary.From(TrialStatus.Diverged, [RegressionEpoch(1)], 1, error));
            folder.AppendTrial(Trial("next"), TrialSummary.From(TrialStatus.Completed, [Epoch(1)], 2));
        }

        using var reopened = RunFolder.Open(directory.Path);
        Assert.Equal(["blown", "next"], reopened.Finished.Order());
        var rows = RunFolder.ReadRows(Path.Combine(directory.Path, "trials.csv"), RunFolder.TrialColumns);
        Assert.Equal(2, rows.Count);
        Assert.Equal(error, rows[0]["error"]);
        Assert.Equal(("0.01", "tanh", "regression", "4.25"), (rows[0]["learning_rate"], rows[0]["activation"], rows[0]["task"], rows[0]["best_val_mae"]));
        Assert.Equal(("", "binary"), (rows[1]["error"], rows[1]["task"]));
    }

    [Fact]
    public void A_folder_written_before_the_new_columns_resumes_and_gains_them()
    {
        using var directory = new TempDirectory();
        var done = Trial("done");
        File.WriteAllText(Path.Combine(directory.Path, "epochs.csv"),
            OldEpochHeader + "\n" +
            "done,baseline,none,1,1,0.5,0.01,0.4,0.8,0.85,1.5\n" +
            "done,baseline,none,1,2,0.3,0.01,0.45,0.9,0.84,1.5\n" +
            "cut,baseline,none,2,1,0.5,0.01,0.4,0.8,0.85,1.5\n");
        File.WriteAllText(Path.Combine(directory.Path, "trials.csv"),
            OldTrialHeader + "\n" +
            "done,baseline,none,1,completed,1,0.4,0.45,0.15,0.85,3,adam,\n");

        using (var reopened = RunFolder.Open(directory.Path, [done, RegressionTrial("new")]))
        {
            Assert.Equal(["done"], reopened.Finished);
            // The unfinished attempt's rows were not imported: it runs again from its checkpoint or from scratch.
            Assert.Empty(reopened.RecordedEpochs("cut"));
            Assert.Equal(2, reopened.RecordedEpochs("done").Count);
            reopened.AppendEpoch(RegressionTrial("new"), RegressionEpoch(1));
            reopened.AppendTrial(RegressionTrial("new"), TrialSummary.From(TrialStatus.Completed, [RegressionEpoch(1)], 1));
        }
        Assert.True(File.Exists(Path.Combine(directory.Path, RunFolder.LedgerFile)));

        var epochs = RunFolder.ReadRows(Path.Combine(directory.Path, "epochs.csv"), RunFolder.EpochColumns);
        Assert.Equal(RunFolder.EpochColumns, File.ReadLines(Path.Combine(directory.Path, "epochs.csv")).First().Split(','));
        Assert.Equal([("done", "1", "0.85"), ("done", "2", "0.84"), ("new", "1", "")], epochs.Select(r => (r["trial_id"], r["epoch"], r["val_accuracy"])));
        // The old rows keep their numbers and gain the cell's labels from the sweep being resumed.
        Assert.Equal(("adam", "0.001", "relu", "512", "2", "binary", ""),
            (epochs[0]["optimizer"], epochs[0]["learning_rate"], epochs[0]["activation"], epochs[0]["batch_size"], epochs[0]["epochs"], epochs[0]["task"], epochs[0]["val_mae"]));
        var trial = RunFolder.ReadRows(Path.Combine(directory.Path, "trials.csv"), RunFolder.TrialColumns)[0];
        Assert.Equal(("completed", "0.85", "adam", "binary", ""), (trial["status"], trial["best_val_accuracy"], trial["optimizer"], trial["task"], trial["best_val_mae"]));
        // It ran before early stopping: its label says none, and it did not stop.
        Assert.Equal(("none", "", ""), (trial["early_stopping"], trial["stopped_epoch"], trial["stop_reason"]));
        Assert.Equal("none", epochs[0]["early_stopping"]);
    }

    [Fact]
    public void A_record_cut_off_inside_a_quoted_field_is_left_out()
    {
        using var directory = new TempDirectory();
        using (var folder = RunFolder.Open(directory.Path))
            folder.AppendTrial(Trial("done"), TrialSummary.From(TrialStatus.Completed, [Epoch(1)], 3));
        File.AppendAllText(Path.Combine(directory.Path, "trials.csv"),
            "torn,baseline,none,1,diverged,1,0.4,0.45,0.15,0.85,3,adam,\"first line\nsecond");
        using var reopened = RunFolder.Open(directory.Path);
        Assert.Equal(["done"], reopened.Finished);
    }

    [Fact]
    public void A_finished_trial_is_on_disk_with_its_whole_curve_at_once()
    {
        using var directory = new TempDirectory();
        using var folder = RunFolder.Open(directory.Path);
        folder.AppendEpoch(Trial("aaa"), Epoch(1));
        folder.AppendEpoch(Trial("aaa"), Epoch(2));
        folder.AppendTrial(Trial("aaa"), TrialSummary.From(TrialStatus.Completed, [Epoch(1), Epoch(2)], 3));
        folder.Flush();
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
        Assert.Empty(folder.RecordedEpochs("lost"));
        folder.AppendEpoch(Trial("lost"), Epoch(1));
        Assert.Equal([1], folder.RecordedEpochs("lost").Select(e => e.Epoch));
        Assert.Equal([1], folder.RecordedEpochs("keep").Select(e => e.Epoch));
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

    /// <summary>The ledger's curves of <paramref name="trials"/>, trial by trial.</summary>
    private static List<(string Trial, int Epoch, string TrainLoss)> EpochRows(RunFolder folder, params string[] trials) =>
        trials.SelectMany(trial => folder.RecordedEpochs(trial).Select(e => (trial, e.Epoch, CsvFormat.Number(e.TrainLoss)))).ToList();

    [Fact]
    public void A_resumed_attempt_keeps_the_epochs_its_checkpoint_has_and_adds_the_ones_never_received()
    {
        using var directory = new TempDirectory();
        using var folder = RunFolder.Open(directory.Path);
        folder.AppendEpoch(Trial("other"), Epoch(1));
        folder.AppendEpoch(Trial("lost"), Epoch(1));
        folder.AppendEpoch(Trial("lost"), Epoch(2));

        // The lost trainer checkpointed epoch 3 but died before its report arrived.
        folder.ResumeTrial(Trial("lost"), 3, [Epoch(1), Epoch(2), Epoch(3)]);
        folder.AppendEpoch(Trial("lost"), Epoch(4));

        Assert.Equal([("other", 1, "0.5"), ("lost", 1, "0.5"), ("lost", 2, "0.25"), ("lost", 3, "0.16666666666666666"), ("lost", 4, "0.125")],
            EpochRows(folder, "other", "lost"));
        Assert.Equal(4, folder.RecordedThrough("lost"));
    }

    [Fact]
    public void A_resumed_attempt_drops_the_recorded_epochs_past_its_checkpoint()
    {
        using var directory = new TempDirectory();
        using var folder = RunFolder.Open(directory.Path);
        foreach (var epoch in new[] { 1, 2, 3 })
            folder.AppendEpoch(Trial("lost"), Epoch(epoch));
        folder.AppendEpoch(Trial("other"), Epoch(1));

        folder.ResumeTrial(Trial("lost"), 1, [Epoch(1)]);
        folder.AppendEpoch(Trial("lost"), Epoch(2) with { TrainLoss = 0.3 });

        Assert.Equal([("lost", 1, "0.5"), ("lost", 2, "0.3"), ("other", 1, "0.5")], EpochRows(folder, "lost", "other"));
    }

    [Fact]
    public void An_attempt_that_starts_from_scratch_replaces_the_whole_earlier_curve()
    {
        using var directory = new TempDirectory();
        using var folder = RunFolder.Open(directory.Path);
        folder.AppendEpoch(Trial("lost"), Epoch(1));
        folder.AppendEpoch(Trial("lost"), Epoch(2));

        folder.ResumeTrial(Trial("lost"), 0, []);

        Assert.Empty(EpochRows(folder, "lost"));
        Assert.Equal(0, folder.RecordedThrough("lost"));
    }

    [Fact]
    public void A_reopened_ledger_keeps_an_unfinished_trials_epochs_out_of_the_exports_until_its_next_attempt_says_which_stay()
    {
        using var directory = new TempDirectory();
        using (var folder = RunFolder.Open(directory.Path))
        {
            folder.AppendEpoch(Trial("running"), Epoch(1));
            folder.AppendEpoch(Trial("running"), Epoch(2));
            folder.AppendEpoch(Trial("running"), Epoch(3));
        }
        using var reopened = RunFolder.Open(directory.Path);
        Assert.Equal(3, reopened.RecordedThrough("running"));
        Assert.Single(ReadShared(Path.Combine(directory.Path, "epochs.csv"))); // the header only: running has not ended

        reopened.ResumeTrial(Trial("running"), 2, [Epoch(1), Epoch(2)]); // its checkpoint has two epochs
        Assert.Equal([("running", 1, "0.5"), ("running", 2, "0.25")], EpochRows(reopened, "running"));
    }

    [Fact]
    public void A_folder_open_elsewhere_is_refused_naming_its_holder_until_it_is_closed()
    {
        using var directory = new TempDirectory();
        using (RunFolder.Open(directory.Path))
        {
            var error = Assert.Throws<SweepInUseException>(() => RunFolder.Open(directory.Path));
            Assert.Matches($@"run folder .* is in use by host .*, process {Environment.ProcessId}, since \d{{4}}-", error.Message);
        }
        using var reopened = RunFolder.Open(directory.Path);
        Assert.Empty(reopened.Finished);
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
