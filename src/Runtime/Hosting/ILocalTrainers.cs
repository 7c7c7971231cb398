using Akka.Hosting;
using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.Configuration;
using GridSweep.Runtime.Metrics;
using GridSweep.Runtime.Progress;

namespace GridSweep.Runtime.Hosting;

/// <summary>
/// Trainer slots in the coordinator's own process (<c>gridsweep run</c>, <c>gridsweep coordinator --slots N</c>).
/// The coordinator knows no TorchSharp: the full <c>gridsweep</c> program plugs the trainer node in here.
/// </summary>
public interface ILocalTrainers
{
    /// <summary>What can be checked before anything loads or is written (the device); throws <see cref="InputException"/>.</summary>
    void Check(SweepSpec spec, TrainerOptions options);

    /// <summary>Loads and prepares the sweep's data once, with progress; returns a description. Throws <see cref="InputException"/> for bad data.</summary>
    Task<string> PrepareAsync(SweepSpec spec, TrainerOptions options, IProgress<DataProgress> progress, CancellationToken cancellationToken);

    /// <summary>Starts the slots in the actor system being configured; their checkpoints go in the run folder unless set otherwise.</summary>
    void AddTo(AkkaConfigurationBuilder akka, SweepSpec spec, TrainerOptions options, MetricsWriter? metrics, string runFolder);
}
