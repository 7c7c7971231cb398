using GridSweep.Coordinator.Commands;
using System.Runtime.InteropServices;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("gridsweep");
    config.AddCommand<RunCommand>("run")
        .WithDescription("Train every trial of a sweep file on this machine and write epochs.csv and trials.csv.")
        .WithExample("run", "sweeps/imdb-overfitting.yaml")
        .WithExample("run", "sweeps/imdb-overfitting.yaml", "--data", "~/data/aclImdb_v1.tar.gz", "--out", "runs");
    config.AddCommand<ReportCommand>("report")
        .WithDescription("Draw a sweep's figures (loss curves, the grid, best validation loss) as PNG with an index.html into <RUN_DIR>/report/.")
        .WithExample("report", "runs/imdb-overfitting");
    config.AddCommand<CoordinatorCommand>("coordinator")
        .WithDescription("Run a sweep as the cluster's head node: trainer nodes join it and train its trials.")
        .WithExample("coordinator", "sweeps/imdb-overfitting.yaml", "--host", "10.0.0.5", "--port", "4053");
    config.AddCommand<StatusCommand>("status")
        .WithDescription("Ask a running coordinator for queued, running, completed and failed trials per node.")
        .WithExample("status", "--host", "10.0.0.5", "--port", "4053");
});
// Ctrl+C and SIGTERM stop a run gracefully: finished trials are on disk, the run resumes where it stopped.
using var stop = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
return await app.RunAsync(args, stop.Token);

void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
