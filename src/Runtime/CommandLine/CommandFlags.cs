using GridSweep.Runtime.Configuration;

namespace GridSweep.Runtime.CommandLine;

/// <summary>
/// The settings each command takes, in one place: the flags its <c>--help</c> lists, the sections it binds
/// (and so the environment variables it reads), and what the deploy checks hold the deploy files to.
/// </summary>
public static class CommandFlags
{
    /// <summary><c>gridsweep run</c>: the sweep, the local slots and their data, metrics.</summary>
    public static FlagSet Run() => new FlagSet()
        .Add<SweepOptions>(nameof(SweepOptions.Out), nameof(SweepOptions.MaxRetries), nameof(SweepOptions.MaxTrials), nameof(SweepOptions.Plain),
            nameof(SweepOptions.Ledger), nameof(SweepOptions.LedgerPasswordFile))
        .Add<TrainerOptions>(LocalTrainerSettings)
        .Add<InfluxOptions>();

    /// <summary><c>gridsweep coordinator</c>: the head node's address, the sweep, metrics; local slots only where the program can train.</summary>
    public static FlagSet Coordinator(bool canTrain)
    {
        var flags = new FlagSet()
            .Add<ClusterNodeOptions>(nameof(ClusterNodeOptions.Host), nameof(ClusterNodeOptions.Port), nameof(ClusterNodeOptions.PublicHost), nameof(ClusterNodeOptions.SeedNodes),
                nameof(ClusterNodeOptions.FailureDetectionSeconds), nameof(ClusterNodeOptions.DowningStableAfterSeconds), nameof(ClusterNodeOptions.HealthPort),
                nameof(ClusterNodeOptions.LogLevel))
            .Add<TlsOptions>()
            .Add<SweepOptions>();
        if (canTrain)
            flags.Add<TrainerOptions>(LocalTrainerSettings);
        return flags.Add<InfluxOptions>();
    }

    /// <summary><c>gridsweep trainer</c> and the trainer node's own program.</summary>
    public static FlagSet Trainer() => new FlagSet()
        .Add<ClusterNodeOptions>()
        .Add<TlsOptions>()
        .Add<TrainerOptions>()
        .Add<InfluxOptions>();

    /// <summary><c>gridsweep evaluate</c>: where the trial's data is, as for the local slots of a run.</summary>
    public static FlagSet Evaluate() => new FlagSet()
        .Add<TrainerOptions>(nameof(TrainerOptions.Data), nameof(TrainerOptions.AllowPartialData), nameof(TrainerOptions.WordIndex), nameof(TrainerOptions.Cache));

    /// <summary><c>gridsweep status</c>: where the coordinator is, and the certificate to reach it with when it runs TLS.</summary>
    public static FlagSet Status() => new FlagSet()
        .Add<ClusterNodeOptions>(nameof(ClusterNodeOptions.Host), nameof(ClusterNodeOptions.Port))
        .Add<TlsOptions>(nameof(TlsOptions.Certificate), nameof(TlsOptions.Key), nameof(TlsOptions.PasswordFile), nameof(TlsOptions.Ca), nameof(TlsOptions.TrustThumbprints));

    private static readonly string[] LocalTrainerSettings =
    [
        nameof(TrainerOptions.Slots), nameof(TrainerOptions.TorchThreads), nameof(TrainerOptions.Device), nameof(TrainerOptions.Data), nameof(TrainerOptions.AllowPartialData),
        nameof(TrainerOptions.WordIndex), nameof(TrainerOptions.Cache), nameof(TrainerOptions.Checkpoints), nameof(TrainerOptions.CheckpointsMaxGb),
    ];
}
