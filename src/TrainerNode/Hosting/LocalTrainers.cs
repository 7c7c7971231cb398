using Akka.Hosting;
using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.Configuration;
using GridSweep.Runtime.Hosting;
using GridSweep.Runtime.Metrics;
using GridSweep.Runtime.Progress;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Training;

namespace GridSweep.TrainerNode.Hosting;

/// <summary>
/// Trainer slots in the coordinator's process: the same trainer actor as a trainer node, with the sweep's
/// data loaded before the sweep starts (with progress bars, and so that bad data is refused before any
/// result is written).
/// </summary>
public sealed class LocalTrainers : ILocalTrainers
{
    private NodeDatasets? datasets;

    public void Check(SweepSpec spec, TrainerOptions options) => TrainerHosting.CheckDevices(Devices(spec, options));

    public async Task<PreparedData> PrepareAsync(SweepSpec spec, TrainerOptions options, IProgress<DataProgress> progress, CancellationToken cancellationToken)
    {
        // The slots' own datasets, multi-hot rows included, built before the cluster starts (as a trainer node
        // does before it joins) and then shared by every slot.
        datasets = TrainerHosting.Datasets(options);
        try
        {
            var (data, _) = await datasets.PrepareAsync(spec.Dataset, progress, cancellationToken);
            return new PreparedData(data.Description, data.Identity);
        }
        catch (DataSourceException error) when (spec.Dataset.Name == DatasetNames.Csv && options.Data is null)
        {
            // The table is the sweep file's: its error names the file, line, column and value already.
            throw new InputException(error.Message, error);
        }
        catch (DataSourceException error)
        {
            throw new InputException($"{SettingName.Of<TrainerOptions>(nameof(TrainerOptions.Data))}: {error.Message}", error);
        }
    }

    public void AddTo(AkkaConfigurationBuilder akka, SweepSpec spec, TrainerOptions options, MetricsWriter? metrics, string runFolder) =>
        akka.WithTrainerNode(Devices(spec, options), options.NodeId ?? "local", TimeSpan.FromSeconds(options.RegisterIntervalSeconds),
            datasets ?? TrainerHosting.Datasets(options), metrics, TrainerHosting.Checkpoints(options, Path.Combine(runFolder, "checkpoints")),
            options.TorchThreads);

    private static IReadOnlyList<string> Devices(SweepSpec spec, TrainerOptions options) =>
        options.DeviceList(defaultSlots: 1, defaultDevice: spec.Training.Device);
}
