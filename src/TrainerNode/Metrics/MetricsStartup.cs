using Microsoft.Extensions.Configuration;

namespace GridSweep.TrainerNode.Metrics;

/// <summary>Turns settings into the process's one <see cref="MetricsWriter"/> and checks the server once at start.</summary>
public static class MetricsStartup
{
    public const string Section = "GridSweep:Influx";

    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Settings key under <see cref="Section"/> for each <c>--influx-*</c> option.</summary>
    private static readonly IReadOnlyDictionary<string, string> Keys = new Dictionary<string, string>
    {
        ["Url"] = "--influx-url",
        ["Api"] = "--influx-api",
        ["Bucket"] = "--influx-bucket",
        ["Org"] = "--influx-org",
        ["TokenFile"] = "--influx-token-file",
        ["RetentionPolicy"] = "--influx-rp",
        ["User"] = "--influx-user",
        ["PasswordFile"] = "--influx-password-file",
        ["Spool"] = "--influx-spool",
        ["SpoolMaxMb"] = "--influx-spool-max-mb",
    };

    /// <summary>
    /// The <c>--influx-*</c> options from <c>GridSweep:Influx</c> (appsettings.json, <c>GridSweep__Influx__Url</c>, ...)
    /// followed by those of the command line, which therefore win.
    /// </summary>
    public static string[] Arguments(IConfiguration configuration, IEnumerable<string> commandLine)
    {
        var fromSettings = Keys
            .Select(pair => (Flag: pair.Value, Value: configuration[$"{Section}:{pair.Key}"]))
            .Where(option => !string.IsNullOrWhiteSpace(option.Value))
            .SelectMany(option => new[] { option.Flag, option.Value! });
        return [.. fromSettings, .. commandLine];
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
