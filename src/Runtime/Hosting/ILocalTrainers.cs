using Akka.Hosting;
using GridSweep.Messages.Protocol;
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

    /// <summary>
    /// Loads and prepares the sweep's data once, with progress; returns its description and identity (the hashes of the files
    /// it was read from). Throws <see cref="InputException"/> for bad data.
    /// </summary>
    Task<PreparedData> PrepareAsync(SweepSpec spec, TrainerOptions options, IProgress<DataProgress> progress, CancellationToken cancellationToken);

    /// <summary>Starts the slots in the actor system being configured; their checkpoints go in the run folder unless set otherwise.</summary>
    void AddTo(AkkaConfigurationBuilder akka, SweepSpec spec, TrainerOptions options, MetricsWriter? metrics, string runFolder);
}

/// <summary>A sweep's data, loaded by the local slots before the sweep starts.</summary>
/// <param name="Description">One line for people: the source, the splits' sizes, the vocabulary or features.</param>
/// <param name="Identity">The files the data came from, each with its SHA-256, for the run folder to record and compare.</param>
public sealed record PreparedData(string Description, DataIdentity Identity);
