using GridSweep.Coordinator.Ledger;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Configuration;
using GridSweep.TestKit;
using static GridSweep.Coordinator.Tests.Ledger.LedgerSpecs;

namespace GridSweep.Coordinator.Tests.Ledger;

/// <summary>The ledger in a real PostgreSQL (Debian's package, started on a free loopback port), as coordinator nodes share it.</summary>
public sealed class PostgresLedgerSpecs(PostgresServerFixture postgres) : IClassFixture<PostgresServerFixture>
{
    private LedgerDatabase NewLedger(out string url)
    {
        var name = "ledger_" + Guid.NewGuid().ToString("N")[..12];
        postgres.Server.CreateDatabase(name);
        url = postgres.Server.UrlOf(name);
        return LedgerSettings.From(new SweepOptions { Ledger = url })!;
    }

    [Fact]
    public void A_sweep_recorded_by_one_coordinator_resumes_on_another_with_its_own_run_folder()
    {
        var ledger = NewLedger(out _);
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        using (var folder = RunFolder.Open(first.Path, [Trial("a"), Trial("b"), Trial("c")], ledger))
        {
            Finish(folder, "a");
            Finish(folder, "b", status: TrialStatus.Diverged, error: "loss is nan\nat epoch 2");
            folder.AppendEpoch(Trial("c"), Epoch(1)); // in flight when that node died
        }

        using (var folder = RunFolder.Open(second.Path, [Trial("a"), Trial("b"), Trial("c")], ledger))
        {
            Assert.Equal(["a", "b"], folder.Finished.Order());
            Assert.Equal(1, folder.RecordedThrough("c"));
            Assert.Contains("PostgreSQL", folder.LedgerDescription);
            Assert.DoesNotContain(postgres.Server.Password, folder.LedgerDescription);
        }
        // The standby's own folder gets the exports, rebuilt from the ledger.
        var trials = RunFolder.ReadRows(Path.Combine(second.Path, RunFolder.TrialsFile), RunFolder.TrialColumns);
        Assert.Equal([("a", "completed", ""), ("b", "diverged", "loss is nan\nat epoch 2")], trials.Select(r => (r["trial_id"], r["status"], r["error"])));
        Assert.Equal(6, RunFolder.ReadRows(Path.Combine(second.Path, RunFolder.EpochsFile), RunFolder.EpochColumns).Count);
    }

    [Fact]
    public void A_second_coordinator_of_a_sweep_in_use_is_refused_naming_the_holder_until_the_first_lets_go()
    {
        var ledger = NewLedger(out _);
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        using (RunFolder.Open(first.Path, [Trial("a")], ledger))
        {
            var refused = Assert.Throws<SweepInUseException>(() => RunFolder.Open(second.Path, [Trial("a")], ledger));
            Assert.Matches($@"sweep sweep in the ledger at PostgreSQL .* is in use by host .*, process {Environment.ProcessId}, since", refused.Message);
        }
        using var after = RunFolder.Open(second.Path, [Trial("a")], ledger);
        Assert.Empty(after.Finished);
    }

    [Fact]
    public void Non_finite_losses_round_trip()
    {
        var ledger = NewLedger(out _);
        using var directory = new TempDirectory();
        var blown = new EpochMetrics(1, double.PositiveInfinity, 0, double.NaN, 0.5, 0.5, 1);
        using (var folder = RunFolder.Open(directory.Path, [Trial("x")], ledger))
        {
            folder.AppendEpoch(Trial("x"), blown);
            folder.AppendTrial(Trial("x"), TrialSummary.From(TrialStatus.Diverged, [blown], 1));
        }
        var epoch = Assert.Single(RunFolder.ReadRows(Path.Combine(directory.Path, RunFolder.EpochsFile), RunFolder.EpochColumns));
        Assert.Equal(("inf", "nan"), (epoch["train_loss"], epoch["val_loss"]));
    }

    [Fact]
    public void A_password_is_read_from_its_file_and_never_shown()
    {
        NewLedger(out var url);
        var withoutPassword = url.Replace(":" + postgres.Server.Password + "@", "@");
        using var secrets = new TempDirectory();
        var file = Path.Combine(secrets.Path, "password");
        File.WriteAllText(file, postgres.Server.Password + "\n");
        var ledger = LedgerSettings.From(new SweepOptions { Ledger = withoutPassword, LedgerPasswordFile = file })!;
        using var directory = new TempDirectory();
        using (var folder = RunFolder.Open(directory.Path, [Trial("a")], ledger))
            Finish(folder, "a");
        Assert.DoesNotContain(postgres.Server.Password, ledger.Description);
        Assert.Equal("postgres://gridsweep:***@127.0.0.1:5/x", LedgerSettings.Redact("postgres://gridsweep:secret@127.0.0.1:5/x"));

        var wrong = LedgerSettings.From(new SweepOptions { Ledger = withoutPassword }, _ => "not-the-password")!;
        Assert.ThrowsAny<Exception>(() => RunFolder.Open(directory.Path, [Trial("a")], wrong).Dispose());
    }

    [Fact]
    public void A_ledger_url_that_is_not_one_is_refused_without_its_password()
    {
        var error = Assert.Throws<SettingsException>(() => LedgerSettings.From(new SweepOptions { Ledger = "postgres://user:hunter2@/nodatabase" }));
        Assert.Contains("--ledger", error.Message);
        Assert.DoesNotContain("hunter2", error.Message);
    }
}
