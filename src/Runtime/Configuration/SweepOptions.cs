namespace GridSweep.Runtime.Configuration;

/// <summary>How a sweep is run and where its results go (<c>GridSweep:Sweep</c>): <c>gridsweep run</c> and <c>coordinator</c>.</summary>
public sealed class SweepOptions : IOptionsSection
{
    public static string Section => "GridSweep:Sweep";

    [Setting("--out", "Results folder; the sweep writes to <DIR>/<sweep name>/. An existing folder is resumed. Default: runs.", ValueName = "DIR")]
    public string Out { get; set; } = "runs";

    [Setting("--max-retries", "How often a failed trial is tried again before it is recorded as failed (diverged trials are not retried). Default: 2.", ValueName = "N")]
    public int MaxRetries { get; set; } = 2;

    [Setting("--quarantine-after", "Trials a trainer node fails in a row, while other nodes complete trials, before it gets no work for --quarantine-seconds (its failed attempts then do not count against the trials' retries). 0 never quarantines. Default: 3.", ValueName = "N")]
    public int QuarantineAfter { get; set; } = 3;

    [Setting("--quarantine-seconds", "How long a quarantined trainer node gets no work before it is given one trial as probation; each quarantine after a failed probation lasts twice as long, up to an hour (or this, if longer). Default: 300.", ValueName = "SECONDS")]
    public double QuarantineSeconds { get; set; } = 300;

    [Setting("--max-trials", "The most trials a sweep file's grid may declare (the product of its axes, before exclude and include); a larger grid is refused at once with its count per axis. Default: 1000000.", ValueName = "N")]
    public int MaxTrials { get; set; } = (int)GridSweep.Messages.Sweeps.TrialLimit.DefaultMaxTrials;

    [Setting("--plain", "Print one line per event instead of the live display (automatic when output is redirected).")]
    public bool Plain { get; set; }

    [Setting("--stay", "When the sweep is finished, keep running (and answering status) until stopped, instead of exiting 0; for orchestrators that restart exited processes, such as a Kubernetes StatefulSet.")]
    public bool Stay { get; set; }

    [Setting("--ledger", "Where the sweep's ledger is: postgres://USER@HOST[:PORT]/DATABASE for a PostgreSQL that every coordinator node reaches (the password from --ledger-password-file or $GRIDSWEEP_LEDGER_PASSWORD), or the path of an SQLite file. Default: ledger.db in the run folder.", ValueName = "URL")]
    public string? Ledger { get; set; }

    [Setting("--ledger-password-file", "File holding the PostgreSQL ledger's password. Never printed.", ValueName = "FILE")]
    public string? LedgerPasswordFile { get; set; }

    public void Validate(SettingProblems problems)
    {
        if (Ledger is not null && string.IsNullOrWhiteSpace(Ledger))
            problems.Add(this, nameof(Ledger), "is empty");
        if (LedgerPasswordFile is not null && Ledger?.StartsWith("postgres", StringComparison.Ordinal) != true)
            problems.AddMissing(SettingName.Of<SweepOptions>(nameof(Ledger)), "a postgres:// URL is needed when --ledger-password-file is given");
        if (string.IsNullOrWhiteSpace(Out))
            problems.Add(this, nameof(Out), "is empty");
        if (MaxRetries < 0)
            problems.Add(this, nameof(MaxRetries), "is negative");
        if (QuarantineAfter < 0)
            problems.Add(this, nameof(QuarantineAfter), "is negative (0 never quarantines)");
        if (!(QuarantineSeconds > 0) || QuarantineSeconds > TimeSpan.FromDays(30).TotalSeconds)
            problems.Add(this, nameof(QuarantineSeconds), "is not a positive number of seconds up to 30 days");
        if (MaxTrials < 1)
            problems.Add(this, nameof(MaxTrials), "is not a positive whole number");
    }
}
