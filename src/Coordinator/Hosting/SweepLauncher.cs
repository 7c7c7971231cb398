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
        using var results = OpenRunFolder(spec, trials, data, out var folder);
        display.Note($"ledger: {Markup.Escape(results.LedgerDescription)}");
        if (results.GridChange is { } change)
            display.Note(Markup.Escape(DescribeChange(change)));
        var outcome = HostSweep(spec, trials, results, metrics, display, finished => Finish(finished, folder, results, display), cancellationToken);
        if (outcome is null)
        {
            AnsiConsole.MarkupLine($"interrupted; finished trials are kept in [bold]{Markup.Escape(folder)}[/], run the same command to resume");
            return ExitCodes.Cancelled;
        }
        return outcome.Failed > 0 ? ExitCodes.TrialsFailed : ExitCodes.Success;
    }

    /// <summary>Step 1: the sweep file and its grid, the local devices and the results folder, checked before anything loads.</summary>
    private (SweepSpec Spec, IReadOnlyList<TrialSpec> Trials) LoadSpec()
    {
        var spec = SweepSpecParser.Load(launch.SpecPath);
        var trials = SweepGrid.Expand(spec);
        launch.LocalTrainers?.Check(spec, launch.Trainer);
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
    /// and other data than the ledger's is refused.
    /// </summary>
    private RunFolder OpenRunFolder(SweepSpec spec, IReadOnlyList<TrialSpec> trials, PreparedData? data, out string folder)
    {
        folder = RunFolderPath(spec);
        return RunFolder.Open(folder, trials, LedgerSettings.From(launch.Sweep), new SweepSource(File.ReadAllText(launch.SpecPath), data?.Identity));
    }

    /// <summary>"the sweep file changed since the last run: 2 trials added (a, b), 1 removed (c) ..."</summary>
    private static string DescribeChange(GridChange change)
    {
        static string Some(IReadOnlyList<string> ids) =>
            string.Join(", ", ids.Take(5)) + (ids.Count > 5 ? $" and {ids.Count - 5} more" : "");
        var parts = new List<string>();
        if (change.Added.Count > 0)
            parts.Add($"{change.Added.Count} trial(s) added ({Some(change.Added)}), trained now");
        if (change.Removed.Count > 0)
            parts.Add($"{change.Removed.Count} removed ({Some(change.Removed)}), kept in the ledger but left out of counts, report and exports");
        return $"the sweep file changed since the ledger last saw it: {string.Join("; ", parts)}";
    }

    /// <summary>Steps 5 and 6: the cluster hosting the coordinator (and local slots), its events shown on the display.</summary>
    private SweepFinished? HostSweep(SweepSpec spec, IReadOnlyList<TrialSpec> trials, RunFolder results, MetricsWriter? metrics,
        SweepDisplay display, Func<SweepFinished, Task> whenFinished, CancellationToken cancellationToken)
    {
        var cluster = launch.Cluster ?? new ClusterNodeOptions { Host = "127.0.0.1", Port = 0, LogLevel = "ERROR" };
        var local = launch.LocalTrainers;
        var options = new SweepHostOptions(spec, trials, results, cluster,
            local is null ? null : akka => local.AddTo(akka, spec, launch.Trainer, metrics, results.Path),
            launch.Sweep.MaxRetries, metrics, launch.Sweep.Stay);
        return display.Track(observer => SweepHost.RunAsync(options, observer, whenFinished, cancellationToken).GetAwaiter().GetResult());
    }

    /// <summary>Step 7: the summary table and the report, while the cluster is still up.</summary>
    private Task Finish(SweepFinished finished, string folder, RunFolder results, SweepDisplay display)
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
        if (launch.Sweep.Stay)
            display.Note("sweep finished; still answering [bold]gridsweep status[/] until stopped (--stay)");
        return Task.CompletedTask;
    }

    private string RunFolderPath(SweepSpec spec) => Path.Combine(launch.Sweep.Out, spec.Name);
}
