namespace GridSweep.Runtime.CommandLine;

public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The sweep ran, but at least one trial failed.</summary>
    public const int TrialsFailed = 1;
    /// <summary><c>gridsweep evaluate</c>: the kept model's figures differ from those recorded for its epoch.</summary>
    public const int ModelDiffers = 1;
    /// <summary>Bad input: the sweep file, a flag, the data, or a folder that cannot be written (read-only, in use, full); nothing was run, or, for a disk that filled mid-run, what was written is kept.</summary>
    public const int BadInput = 2;
    /// <summary>
    /// A cluster node was downed or removed from its cluster (or lost its actor system) without being asked to stop:
    /// it exits so that its supervisor (Kubernetes, compose, systemd) starts it again.
    /// </summary>
    public const int RemovedFromCluster = 3;
    public const int Cancelled = 130;
}
