using System.ComponentModel;
using GridSweep.Coordinator.Display;
using GridSweep.Coordinator.Hosting;
using GridSweep.Coordinator.Reports;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Sweeps;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Hosting;
using GridSweep.TrainerNode.Metrics;
using GridSweep.TrainerNode.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GridSweep.Coordinator.Commands;

/// <summary>What the embedded run and the head node share: the sweep, its data and where results go.</summary>
public class SweepSettings : CommandSettings
{
    [CommandArgument(0, "<SPEC>")]
    [Description("Sweep file (YAML), e.g. sweeps/imdb-overfitting.yaml.")]
    public string Spec { get; init; } = "";

    [CommandOption("--data <PATH>")]
    [Description("IMDB data: aclImdb_v1.tar.gz or its extracted folder. Default: download Stanford's archive once into the cache.")]
    public string? Data { get; init; }

    [CommandOption("--word-index <PATH>")]
    [Description("Keras imdb_word_index.json to rank words by. Default: the sweep's dataset.word_index, else train-split frequency.")]
    public string? WordIndex { get; init; }

    [CommandOption("--out <DIR>")]
    [Description("Results folder; the sweep writes to <DIR>/<sweep name>/. Default: runs. An existing folder is resumed.")]
    [DefaultValue("runs")]
    public string Out { get; init; } = "runs";

    [CommandOption("--device <DEVICE>")]
    [Description("Device of the local slots: auto, cpu, cuda or cuda:N. Default: the sweep's training.device (auto).")]
    public string? Device { get; init; }

    [CommandOption("--cache <DIR>")]
    [Description("Download and encoded-data cache. Default: $GRIDSWEEP_CACHE, else $XDG_CACHE_HOME/gridsweep, else ~/.cache/gridsweep.")]
    public string? Cache { get; init; }

    [CommandOption("--max-retries <N>")]
    [Description("How often a failed trial is tried again before it is recorded as failed (diverged trials are not retried). Default: 2.")]
    [DefaultValue(2)]
    public int MaxRetries { get; init; } = 2;

    [CommandOption("--influx-url <URL>")]
    [Description("Stream every epoch, trial state and node heartbeat to this InfluxDB (e.g. http://influxdb:8086). Default: GridSweep:Influx:Url; off when unset.")]
    public string? InfluxUrl { get; init; }

    [CommandOption("--influx-api <API>")]
    [Description("v2 (InfluxDB 2.x/3.x: org, bucket, token; the default) or v1 (InfluxDB 1.x: database, retention policy, user).")]
    public string? InfluxApi { get; init; }

    [CommandOption("--influx-bucket <NAME>")]
    [Description("Bucket (v2) or database (v1). Default: gridsweep.")]
    public string? InfluxBucket { get; init; }

    [CommandOption("--influx-org <ORG>")]
    [Description("Organization (v2).")]
    public string? InfluxOrg { get; init; }

    [CommandOption("--influx-token-file <FILE>")]
    [Description("File holding the API token; else $GRIDSWEEP_INFLUX_TOKEN. Never printed.")]
    public string? InfluxTokenFile { get; init; }

    [CommandOption("--influx-rp <NAME>")]
    [Description("Retention policy (v1); it must keep data forever.")]
    public string? InfluxRetentionPolicy { get; init; }

    [CommandOption("--influx-user <USER>")]
    [Description("User (v1); the password from --influx-password-file or $GRIDSWEEP_INFLUX_PASSWORD.")]
    public string? InfluxUser { get; init; }

    [CommandOption("--influx-password-file <FILE>")]
    [Description("File holding the v1 user's password.")]
    public string? InfluxPasswordFile { get; init; }

    [CommandOption("--influx-spool <DIR>")]
    [Description("Where points wait while InfluxDB is away (default $XDG_STATE_HOME/gridsweep/influx-spool); sent on the next start if the process stops first.")]
    public string? InfluxSpool { get; init; }

    /// <summary>The <c>--influx-*</c> options as the metrics settings parser reads them.</summary>
    public IEnumerable<string> InfluxArguments()
    {
        (string Flag, string? Value)[] options =
        [
            ("--influx-url", InfluxUrl), ("--influx-api", InfluxApi), ("--influx-bucket", InfluxBucket), ("--influx-org", InfluxOrg),
            ("--influx-token-file", InfluxTokenFile), ("--influx-rp", InfluxRetentionPolicy), ("--influx-user", InfluxUser),
            ("--influx-password-file", InfluxPasswordFile), ("--influx-spool", InfluxSpool),
        ];
        return options.Where(o => o.Value is not null).SelectMany(o => new[] { o.Flag, o.Value! });
    }

    [CommandOption("--plain")]
    [Description("Print one line per event instead of the live display (automatic when output is redirected).")]
    public bool Plain { get; init; }

    public override ValidationResult Validate() =>
        MaxRetries < 0 ? ValidationResult.Error($"--max-retries: {MaxRetries} is negative") : ValidationResult.Success();
}

public sealed class RunCommand : AsyncCommand<RunCommand.Settings>
{
    public sealed class Settings : SweepSettings
    {
        [CommandOption("--slots <N>")]
        [Description("Trials trained at once in this process; the CPU cores are shared between them. Default: 1.")]
        [DefaultValue(1)]
        public int Slots { get; init; } = 1;

        public override ValidationResult Validate() =>
            Slots < 1 ? ValidationResult.Error($"--slots: {Slots} is not a positive number") : base.Validate();
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        SweepLauncher.RunAsync(settings, settings.Slots, cluster: null, cancellationToken);
}

/// <summary>The steps every way of running a sweep takes: check the input, load the data, host the actors, report.</summary>
internal static class SweepLauncher
{
    /// <param name="cluster">Null for the embedded run (one process, loopback); the head node's settings otherwise.</param>
    public static async Task<int> RunAsync(SweepSettings settings, int localSlots, ClusterSettings? cluster, CancellationToken cancellationToken, bool stay = false)
    {
        // Everything that can be wrong with the input is checked before anything is written.
        SweepSpec spec;
        IReadOnlyList<TrialSpec> trials;
        string device;
        try
        {
            spec = SweepSpecParser.Load(settings.Spec);
            trials = SweepGrid.Expand(spec);
            device = settings.Device ?? spec.Training.Device;
            if (localSlots > 0)
                ComputeDevice.Resolve(device);
        }
        catch (SweepSpecException error)
        {
            AnsiConsole.Console.WriteLine(error.Message);
            return ExitCodes.BadInput;
        }
        catch (ArgumentException error)
        {
            AnsiConsole.Console.WriteLine($"--device: {error.Message}");
            return ExitCodes.BadInput;
        }

        var display = SweepDisplay.Create(settings.Plain);
        display.Note($"sweep [bold]{Markup.Escape(spec.Name)}[/]: {trials.Count} trials");
        var cache = settings.Cache ?? CacheDirectory.Default();
        var wordIndex = settings.WordIndex ?? spec.Dataset.WordIndex;
        if (localSlots > 0)
        {
            try
            {
                // Loaded once here with progress bars, which also proves the data usable before results are written;
                // the local trainer then reads the encoded cache.
                var options = new ImdbLoadOptions(settings.Data, spec.Dataset.NumWords, wordIndex, cache);
                var dataset = await display.LoadDataAsync(progress => ImdbLoader.LoadAsync(options, progress, cancellationToken));
                display.Note($"data: {Markup.Escape(dataset.Description)}");
            }
            catch (DataSourceException error)
            {
                AnsiConsole.Console.WriteLine($"--data: {error.Message}");
                return ExitCodes.BadInput;
            }
        }

        MetricsWriter? metrics;
        try
        {
            var influx = InfluxSettings.FromArgs(MetricsStartup.Arguments(GridSweepConfiguration.Load(), settings.InfluxArguments()));
            metrics = await MetricsStartup.StartAsync(influx, warning => AnsiConsole.Console.WriteLine($"metrics: {warning}"), cancellationToken);
            if (influx is not null)
                display.Note($"metrics: {Markup.Escape(influx.ToString())}");
        }
        catch (Exception error) when (error is ArgumentException or InfluxSetupException)
        {
            AnsiConsole.Console.WriteLine(error.Message);
            return ExitCodes.BadInput;
        }
        await using var flushMetricsOnExit = metrics;

        var folder = Path.Combine(settings.Out, spec.Name);
        using var results = RunFolder.Open(folder);
        var localTrainer = localSlots == 0 ? null : new TrainerSettings
        {
            Devices = string.Join(',', Enumerable.Repeat(device, localSlots)),
            Data = settings.Data,
            WordIndex = wordIndex,
            Cache = cache,
            NodeId = cluster is null ? "local" : null,
        };
        var hostOptions = new SweepHostOptions(spec, trials, results,
            cluster ?? new ClusterSettings { Host = "127.0.0.1", Port = 0, LogLevel = "ERROR" }, localTrainer, settings.MaxRetries, metrics, stay);
        var outcome = display.Track(observer => SweepHost.RunAsync(hostOptions, observer, finished =>
        {
            display.Summary(finished, folder);
            results.Flush(); // The report reads the epoch rows back from disk.
            try
            {
                display.Note($"report: [bold]{Markup.Escape(ReportWriter.Write(folder))}[/]");
            }
            catch (ReportException error)
            {
                display.Note($"no report: {Markup.Escape(error.Message)}");
            }
            if (stay)
                display.Note("sweep finished; still answering [bold]gridsweep status[/] until stopped (--stay)");
            return Task.CompletedTask;
        }, cancellationToken).GetAwaiter().GetResult());
        if (outcome is null)
        {
            AnsiConsole.MarkupLine($"interrupted; finished trials are kept in [bold]{Markup.Escape(folder)}[/], run the same command to resume");
            return ExitCodes.Cancelled;
        }
        return outcome.Failed > 0 ? ExitCodes.TrialsFailed : ExitCodes.Success;
    }
}
