using GridSweep.Coordinator.Actors;
using GridSweep.Coordinator.Display;
using GridSweep.Coordinator.Ledger;
using GridSweep.Coordinator.Reports;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.CommandLine;
using GridSweep.Runtime.Configuration;
using GridSweep.Runtime.Hosting;
using GridSweep.Runtime.Metrics;
using Spectre.Console;

namespace GridSweep.Coordinator.Hosting;

/// <summary>What a sweep is run with: the spec file and the bound settings of every concern.</summary>
/// <param name="Cluster">Null for the embedded run (one process on loopback); the head node's address otherwise.</param>
/// <param name="LocalTrainers">Trainer slots in this process, or null (the head node only coordinates).</param>
public sealed record SweepLaunch(
    string SpecPath,
    SweepOptions Sweep,
    TrainerOptions Trainer,
    InfluxOptions Influx,
    ClusterNodeOptions? Cluster,
    ILocalTrainers? LocalTrainers);

/// <summary>
/// Runs a sweep in the order a reader follows: spec -> data -> metrics -> run folder -> cluster -> display
/// -> report. Bad input stops it with an <see cref="InputException"/> before anything is written.
/// </summary>
public sealed class SweepLauncher(SweepLaunch launch)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var (spec, trials) = LoadSpec();
        var display = SweepDisplay.Create(launch.Sweep.Plain, trials);
        display.Note($"sweep [bold]{Markup.Escape(spec.Name)}[/]: {trials.Count} trials");
        var data = await PrepareDataAsync(spec, display, cancellationToken);
        await using var metrics = await StartMetricsAsync(display, cancellationToken);
        var results = OpenRunFolder(spec, trials, data, out var folder);
        if (results.WaitsWhileInUse)
            display.Note("standby: this coordinator runs the sweep when the one running it is gone (or, if none is, once it is the oldest)");
        SweepFinished? outcome;
        try
        {
            outcome = HostSweep(spec, trials, results, metrics, display, finished => Finish(finished, folder, display), cancellationToken);
        }
        finally
        {
            results.Current?.Dispose();
        }
        if (outcome is null)
        {
            AnsiConsole.MarkupLine($"interrupted; finished trials are kept in [bold]{Markup.Escape(folder)}[/], run the same command to resume");
            return ExitCodes.Cancelled;
        }
        return outcome.Failed > 0 ? ExitCodes.TrialsFailed : ExitCodes.Success;
    }

    /// <summary>Step 1: the sweep file and its grid, the local devices, the ledger's address and the results folder, checked before anything loads.</summary>
    private (SweepSpec Spec, IReadOnlyList<TrialSpec> Trials) LoadSpec()
    {
        var limit = new TrialLimit(launch.Sweep.MaxTrials, SettingName.Of<SweepOptions>(nameof(SweepOptions.MaxTrials)).ToString());
        var spec = SweepSpecParser.Load(launch.SpecPath, limit);
        var trials = SweepGrid.Expand(spec);
        launch.LocalTrainers?.Check(spec, launch.Trainer);
        LedgerSettings.From(launch.Sweep); // A --ledger that is not one is refused before any data loads.
        MetricsStartup.CheckSpool(InfluxSettings.From(launch.Influx)); // So is a metrics spool that cannot be written or is in use.
        var folder = RunFolderPath(spec);
        foreach (var path in new[] { launch.Sweep.Out, folder })
        {
            if (File.Exists(path))
                throw new InputException($"{SettingName.Of<SweepOptions>(nameof(SweepOptions.Out))}: '{path}' is a file; the results need a folder there");
        }
        return (spec, trials);
    }

    /// <summary>
    /// Step 2: the local slots' data, loaded once with progress, which also proves it usable before results are written.
    /// Null when no slot runs here (the head node only coordinates; its trainers announce their data when they register).
    /// </summary>
    private async Task<PreparedData?> PrepareDataAsync(SweepSpec spec, SweepDisplay display, CancellationToken cancellationToken)
    {
        if (launch.LocalTrainers is not { } local)
            return null;
        var data = await display.LoadDataAsync(progress => local.PrepareAsync(spec, launch.Trainer, progress, cancellationToken));
        display.Note($"data: {Markup.Escape(data.Description)}");
        return data;
    }

    /// <summary>Step 3: the process's one metrics writer, or none without an InfluxDB URL.</summary>
    private async Task<MetricsWriter?> StartMetricsAsync(SweepDisplay display, CancellationToken cancellationToken)
    {
        var influx = InfluxSettings.From(launch.Influx);
        var metrics = await MetricsStartup.StartAsync(influx, warning => Console.Error.WriteLine($"metrics: {warning}"), cancellationToken);
        if (influx is not null)
            display.Note($"metrics: {Markup.Escape(influx.ToString())}");
        return metrics;
    }

    /// <summary>
    /// Step 4: the run folder and its ledger, resumed when they exist; the sweep file and the data are recorded there,
    /// and other data than the ledger's is refused. Opened now, refusing a sweep in use, unless this is a standby
    /// coordinator (it joins others through seed nodes): then it opens when the sweep's coordinator moves here.
    /// </summary>
    private RunFolderSource OpenRunFolder(SweepSpec spec, IReadOnlyList<TrialSpec> trials, PreparedData? data, out string folder)
    {
        var path = folder = RunFolderPath(spec);
        var ledger = LedgerSettings.From(launch.Sweep);
        var source = new SweepSource(File.ReadAllText(launch.SpecPath), data?.Identity);
        if (launch.Cluster is { SeedNodes.Count: > 0 })
            return RunFolderSource.OnTakeover(() => RunFolder.Open(path, trials, ledger, source));
        return RunFolderSource.Opened(RunFolder.Open(path, trials, ledger, source));
    }

    /// <summary>Steps 5 and 6: the cluster hosting the coordinator (and local slots), its events shown on the display.</summary>
    private SweepFinished? HostSweep(SweepSpec spec, IReadOnlyList<TrialSpec> trials, RunFolderSource results, MetricsWriter? metrics,
        SweepDisplay display, Func<SweepFinished, Task> whenFinished, CancellationToken cancellationToken)
    {
        var cluster = launch.Cluster ?? new ClusterNodeOptions { Host = "127.0.0.1", Port = 0, LogLevel = "ERROR" };
        var local = launch.LocalTrainers;
        var options = new SweepHostOptions(spec, trials, results, cluster,
            local is null ? null : akka => local.AddTo(akka, spec, launch.Trainer, metrics, RunFolderPath(spec)),
            launch.Sweep.MaxRetries, metrics, launch.Sweep.Stay,
            // On a cluster, trainers outlive a coordinator: the attempts they were training are waited for that long.
            AdoptionGrace: launch.Cluster is null ? TimeSpan.Zero : AdoptionGrace,
            Quarantine: new QuarantineOptions(launch.Sweep.QuarantineAfter, TimeSpan.FromSeconds(launch.Sweep.QuarantineSeconds), QuarantineOptions.DefaultMaxBackOff));
        return display.Track(observer => SweepHost.RunAsync(options, observer, whenFinished, cancellationToken).GetAwaiter().GetResult());
    }

    /// <summary>Step 7: the summary table and the report, while the cluster is still up.</summary>
    /// <summary>How long attempts that were out when a coordinator started wait for their trainers: a few registration heartbeats.</summary>
    public static readonly TimeSpan AdoptionGrace = TimeSpan.FromSeconds(20);

    private Task Finish(SweepFinished finished, string folder, SweepDisplay display)
    {
        display.Summary(finished, folder); // The ledger and its exports are up to date: the coordinator waited for them.
        try
        {
            display.Note($"report: [bold]{Markup.Escape(ReportWriter.Write(folder))}[/]");
        }
        catch (ReportException error)
        {
            display.Note($"no report: {Markup.Escape(error.Message)}");
        }
        if (launch.Sweep.Stay)
            display.Note("sweep finished; still answering [bold]gridsweep status[/] until stopped (--stay)");
        return Task.CompletedTask;
    }

    private string RunFolderPath(SweepSpec spec) => Path.Combine(launch.Sweep.Out, spec.Name);
}
