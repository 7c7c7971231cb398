namespace GridSweep.Runtime.Metrics;

/// <summary>Turns settings into the process's one <see cref="MetricsWriter"/> and checks the server once at start.</summary>
public static class MetricsStartup
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Refuses, as bad input naming the folder and the setting, a spool that cannot be written or that another process holds.</summary>
    public static void CheckSpool(InfluxSettings? settings)
    {
        if (settings is not null)
            MetricsSpool.CheckUsable(settings.SpoolDirectory);
    }

    /// <summary>
    /// Starts the writer and asks the server whether it will take the points. Wrong settings (credentials,
    /// bucket, retention) throw <see cref="InfluxSetupException"/> before anything runs; a server that is merely
    /// unreachable only warns, since the writer spools until it is back.
    /// </summary>
    public static async Task<MetricsWriter?> StartAsync(InfluxSettings? settings, Action<string> warn, CancellationToken cancellationToken)
    {
        if (settings is null)
            return null;
        var writer = new MetricsWriter(settings, new MetricsWriterOptions { Warning = warn });
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            await writer.CheckAsync(timeout.Token);
        }
        catch (InfluxSetupException error) when (error.Unreachable)
        {
            warn($"{error.Message}; points are spooled in {settings.SpoolDirectory} until it answers");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            warn($"InfluxDB at {settings.Url} did not answer within {CheckTimeout.TotalSeconds:F0} s; points are spooled in {settings.SpoolDirectory} until it answers");
        }
        catch
        {
            await writer.DisposeAsync();
            throw;
        }
        return writer;
    }
}
