using GridSweep.Messages.Sweeps;
namespace GridSweep.Runtime.Configuration;

/// <summary>Trainer slots and their data (<c>GridSweep:Trainer</c>): a trainer node's, or those in a run's own process.</summary>
public sealed class TrainerOptions : IOptionsSection
{
    public static string Section => "GridSweep:Trainer";

    [Setting("--slots", "Trials trained at once on this node; the CPU cores are shared between them. Default: 1 (0 on a head node: it only coordinates).", ValueName = "N")]
    public int? Slots { get; set; }

    [Setting("--devices", "One slot per device instead of --slots, e.g. cuda:0,cuda:1 (CUDA build only).", ValueName = "LIST")]
    public string? Devices { get; set; }

    [Setting("--device", "Device of every slot: auto, cpu, cuda or cuda:N. Default: the sweep's training.device (auto) for run, cpu for a trainer node.", ValueName = "DEVICE")]
    public string? Device { get; set; }

    [Setting("--torch-threads", "Threads each CPU slot's training uses (torch's intra-op threads and the fused CPU kernels). Default: the cores divided by the CPU slots. On a machine other work keeps busy, 1 can be several times faster: a thread that waits for a descheduled peer stalls every operation.", ValueName = "N")]
    public int? TorchThreads { get; set; }

    [Setting("--data", "The sweep's data: for imdb aclImdb_v1.tar.gz or its extracted folder, for fashion_mnist the folder of its four .gz files, for csv a table in place of dataset.path. Default: imdb and fashion_mnist download once into the cache, csv reads dataset.path.", ValueName = "PATH")]
    public string? Data { get; set; }

    [Setting("--allow-partial-data", "Train on an IMDB copy that does not hold Stanford's 25,000 training and 25,000 test reviews (a chosen subset); by default such a copy is refused as incomplete.")]
    public bool AllowPartialData { get; set; }

    [Setting("--word-index", "Keras imdb_word_index.json to rank words by. Default: the sweep's dataset.word_index, else train-split frequency.", ValueName = "PATH")]
    public string? WordIndex { get; set; }

    [Setting("--cache", "Download and encoded-data cache. Default: $GRIDSWEEP_CACHE, else $XDG_CACHE_HOME/gridsweep, else ~/.cache/gridsweep.", ValueName = "DIR")]
    public string? Cache { get; set; }

    [Setting("--checkpoints", "Checkpoint store: every running trial's state after each epoch, so a trial whose trainer is lost, leaves or whose coordinator restarts resumes from its last epoch on whichever trainer takes it. Put it on shared storage (NFS, a ReadWriteMany volume) when trainers run on several machines. \"none\" turns checkpoints off. Default: checkpoints/ in the run folder for run and coordinator, $CACHE/checkpoints for a trainer node.", ValueName = "DIR")]
    public string? Checkpoints { get; set; }

    /// <summary>What <see cref="Checkpoints"/> takes to train without checkpoints.</summary>
    public const string NoCheckpoints = "none";

    [Setting("--checkpoints-max-gb", "Bound of the checkpoint store; past it trials go on without new checkpoints and the trainer says so. Default: 20.", ValueName = "GB")]
    public double CheckpointsMaxGb { get; set; } = 20;

    [Setting("--node-id", "This node's name in status and metrics. Default: host name and process id (\"local\" in a run).", ValueName = "ID")]
    public string? NodeId { get; set; }

    [Setting("--dataset", "Dataset a trainer node prepares before it joins: imdb (with --num-words and --word-index), fashion_mnist, or none; trials of any other dataset (csv tables among them) load theirs when they arrive. Default: imdb.", ValueName = "NAME")]
    public string Dataset { get; set; } = DatasetNames.Imdb;

    /// <summary>What <see cref="Dataset"/> takes besides the dataset names that need nothing more than their name.</summary>
    public const string NoDataset = "none";

    [Setting("--num-words", "Vocabulary of the dataset a trainer node loads before it joins; trials with another one load theirs when they arrive. Default: 10000.", ValueName = "N")]
    public int NumWords { get; set; } = 10000;

    [Setting("--register-interval-seconds", "How often a trainer registers with the coordinator (also its liveness signal to it). Default: 2.", ValueName = "SECONDS")]
    public double RegisterIntervalSeconds { get; set; } = 2;

    [Setting("--wait-for-next-sweep", "When the sweep it serves is finished, stay and serve the next coordinator that starts at the seed nodes (a standing trainer), instead of leaving the cluster and exiting 0 to free its devices.")]
    public bool WaitForNextSweep { get; set; }

    /// <summary>One device name per slot: <see cref="Devices"/>, else <see cref="Device"/> (or <paramref name="defaultDevice"/>) once per slot.</summary>
    public IReadOnlyList<string> DeviceList(int defaultSlots = 1, string defaultDevice = "cpu") =>
        string.IsNullOrWhiteSpace(Devices)
            ? Enumerable.Repeat(Device ?? defaultDevice, Slots ?? defaultSlots).ToArray()
            : Devices.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public void Validate(SettingProblems problems)
    {
        if (Slots < 0)
            problems.Add(this, nameof(Slots), "is negative");
        if (TorchThreads < 1)
            problems.Add(this, nameof(TorchThreads), "is not a positive number of threads");
        if (Devices is not null && string.IsNullOrWhiteSpace(Devices))
            problems.Add(this, nameof(Devices), "lists no device");
        if (Dataset is not (DatasetNames.Imdb or DatasetNames.FashionMnist or NoDataset))
            problems.Add(this, nameof(Dataset), $"is not one of {DatasetNames.Imdb}, {DatasetNames.FashionMnist}, {NoDataset} (a csv table loads when its first trial arrives)");
        if (NumWords < 4)
            problems.Add(this, nameof(NumWords), "is too small a vocabulary (4 or more: indices 0-3 are reserved)");
        if (!(CheckpointsMaxGb > 0))
            problems.Add(this, nameof(CheckpointsMaxGb), "is not a positive number of gigabytes");
        if (Checkpoints is not null && string.IsNullOrWhiteSpace(Checkpoints))
            problems.Add(this, nameof(Checkpoints), $"is empty (a folder, or {NoCheckpoints})");
        if (RegisterIntervalSeconds <= 0)
            problems.Add(this, nameof(RegisterIntervalSeconds), "is not a positive number of seconds");
        foreach (var (property, path) in new[] { (nameof(Data), Data), (nameof(WordIndex), WordIndex) })
        {
            if (!string.IsNullOrWhiteSpace(path) && Files.InputPaths.Problem(path) is { } problem)
                problems.Add(this, property, problem);
        }
    }
}
