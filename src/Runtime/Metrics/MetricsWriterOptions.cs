namespace GridSweep.Runtime.Metrics;

/// <summary>How <see cref="MetricsWriter"/> batches, retries and reports; the defaults suit a trainer node.</summary>
public sealed record MetricsWriterOptions
{
    /// <summary>Points per write request at most.</summary>
    public int MaxBatchPoints { get; init; } = 5_000;

    /// <summary>How long the first point of a batch waits for more before the batch is sent.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Points waiting in memory for the background loop at most. The loop moves them on to InfluxDB or to the
    /// disk spool within a batch's time, so this fills only if the disk itself stalls; then further points
    /// are dropped and counted rather than make training wait.
    /// </summary>
    public int QueueCapacity { get; init; } = 100_000;

    /// <summary>First wait before retrying after a network error or a 5xx; doubles up to <see cref="RetryMax"/>.</summary>
    public TimeSpan RetryMin { get; init; } = TimeSpan.FromSeconds(0.5);

    public TimeSpan RetryMax { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time limit of one HTTP request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a still-pending backlog is reported again.</summary>
    public TimeSpan WarningInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long disposing may spend sending what is left; the rest stays spooled for the next start.</summary>
    public TimeSpan DisposeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Called, from the writer's background loop, with each warning meant for the operator: InfluxDB
    /// unreachable or refusing, points pending, spool full, points dropped, and recovery. Set here rather
    /// than as an event so warnings of the startup replay are not missed.
    /// </summary>
    public Action<string>? Warning { get; init; }
}
