using GridSweep.Runtime.Files;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Checkpoints;

/// <summary>
/// Where trainers keep each running trial's latest checkpoint, one folder per trial id, so that whichever
/// trainer takes the trial next resumes it: a local folder for the trainers of one machine, shared storage
/// (NFS, a ReadWriteMany volume) for several. Ids are stable hashes of what a trial learns, so a checkpoint
/// found under one is that trial's; its header also names the data it was trained on, and one trained on other
/// data is not resumed.
/// The store never fails a trial: when it cannot be reached or is full, the trial trains on without
/// checkpoints and the trainer says so once per trial. It is bounded by <see cref="MaxBytes"/>.
/// </summary>
public sealed class CheckpointStore(string folder, long maxBytes, Action<string> warn)
{
    public const string StateFile = "state.ckpt";

    /// <summary>Default bound: room for the checkpoints of many running trials of the studies' networks (a 512-512 IMDB net's is 65 MB).</summary>
    public const long DefaultMaxBytes = 20L << 30;

    private readonly HashSet<string> warned = [];

    public string Folder { get; } = Path.GetFullPath(folder);
    public long MaxBytes { get; } = maxBytes;

    /// <summary>The trial's folder in the store: its checkpoint, and the files kept for it until they reach the coordinator.</summary>
    public string TrialFolder(string trialId) => Path.Combine(Folder, trialId);

    /// <summary>The trial's latest checkpoint if there is a usable one; null (with a warning when one was there but unusable) otherwise.</summary>
    public TrialCheckpoint? TryLoad(string trialId, string identity)
    {
        var file = Path.Combine(TrialFolder(trialId), StateFile);
        try
        {
            if (!File.Exists(file))
                return null;
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var checkpoint = TrialCheckpoint.Read(stream);
            if (checkpoint.Info.Identity == identity)
                return checkpoint;
            checkpoint.Dispose();
            Warn(trialId, "other-data", $"checkpoint {file} was trained on other data ({checkpoint.Info.Identity}, not {identity}); trial {trialId} starts from scratch");
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            Warn(trialId, "unreadable", $"checkpoint {file} cannot be read ({error.Message}); trial {trialId} starts from scratch");
        }
        return null;
    }

    /// <summary>Replaces the trial's checkpoint atomically. False, with a warning the first time, when the store is full or cannot be written.</summary>
    public bool TrySave(string trialId, TrialCheckpoint.Header header, IReadOnlyList<(string Name, Tensor Tensor)> tensors)
    {
        var trialFolder = TrialFolder(trialId);
        var file = Path.Combine(trialFolder, StateFile);
        try
        {
            // Counted afresh each time: several trainers share the store, and it holds only running trials.
            var needed = tensors.Sum(t => t.Tensor.NumberOfElements * t.Tensor.ElementSize) + 4096;
            var inUse = BytesInUse() - (File.Exists(file) ? new FileInfo(file).Length : 0);
            if (inUse + needed > MaxBytes)
            {
                Warn(trialId, "full", $"checkpoint store {Folder} is full ({Gigabytes(inUse)} of {Gigabytes(MaxBytes)} in use, trial {trialId} needs {Gigabytes(needed)}): " +
                    "the trial goes on without new checkpoints; raise --checkpoints-max-gb or free the store");
                return false;
            }
            Directory.CreateDirectory(trialFolder);
            AtomicFile.Write(file, stream => TrialCheckpoint.Write(stream, header, tensors));
            return true;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Warn(trialId, "write", $"checkpoint store {Folder} cannot be written ({error.Message}): trial {trialId} goes on without checkpoints");
            return false;
        }
    }

    /// <summary>Removes a finished trial's folder: its checkpoint and the kept files already delivered.</summary>
    public void Remove(string trialId)
    {
        try
        {
            var trialFolder = TrialFolder(trialId);
            if (Directory.Exists(trialFolder))
                Directory.Delete(trialFolder, recursive: true);
            if (!Directory.EnumerateFileSystemEntries(Folder).Any())
                Directory.Delete(Folder); // No empty checkpoints/ left in a finished run folder; a trainer creating one now recreates it.
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Warn(trialId, "remove", $"checkpoint of finished trial {trialId} cannot be removed from {Folder} ({error.Message})");
        }
        lock (warned)
            warned.RemoveWhere(key => key.StartsWith(trialId + "/", StringComparison.Ordinal));
    }

    private long BytesInUse() =>
        Directory.Exists(Folder)
            ? new DirectoryInfo(Folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
            : 0;

    private static string Gigabytes(long bytes) => $"{bytes / (double)(1L << 30):0.###} GB";

    /// <summary>Each kind of trouble once per trial: a full store would otherwise say so every epoch.</summary>
    private void Warn(string trialId, string kind, string message)
    {
        lock (warned)
        {
            if (!warned.Add($"{trialId}/{kind}"))
                return;
        }
        warn(message);
    }
}
