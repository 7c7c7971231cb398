using System.Globalization;

namespace GridSweep.Runtime.Metrics;

/// <summary>
/// Batches InfluxDB has not taken yet, one file per batch, replayed oldest first. A batch is written to a
/// temporary file, flushed to disk and renamed to <c>{sequence:D16}-{points}.lp</c>, so a crash leaves
/// either the whole batch or a <c>.tmp</c> that the next start deletes, never a torn batch. Bounded by
/// size: past the bound the oldest batches are dropped (as Telegraf's metric buffer does) so the newest
/// state of the sweep survives a long outage; the caller says so loudly. Batches InfluxDB refused as
/// malformed go to <c>rejected/</c> (the newest <see cref="KeepRejected"/>) for a human to look at.
/// One process at a time: a lock file keeps a second writer off the same folder.
/// </summary>
internal sealed class MetricsSpool : IDisposable
{
    public const string Extension = ".lp";
    public const string RejectedFolder = "rejected";
    public const string LockFile = "spool.lock";
    public const int KeepRejected = 16;

    private readonly LinkedList<Entry> _entries = new();
    private readonly FileStream _lock;
    private long _nextSequence;

    public sealed record Entry(string Path, long Sequence, int Points, long Bytes);

    public MetricsSpool(string directory, long maxBytes)
    {
        Directory = Path.GetFullPath(directory);
        MaxBytes = maxBytes;
        _lock = Claim(Directory);
        var found = new List<Entry>();
        try
        {
            foreach (var leftover in System.IO.Directory.EnumerateFiles(Directory, "*.tmp"))
                File.Delete(leftover);
            foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*" + Extension))
            {
                if (TryParseName(path, out var sequence, out var points))
                    found.Add(new Entry(path, sequence, points, new FileInfo(path).Length));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _lock.Dispose();
            throw Unusable(Directory, e.Message, e);
        }
        foreach (var entry in found.OrderBy(e => e.Sequence))
            AddLast(entry);
        _nextSequence = found.Count == 0 ? 1 : found.Max(e => e.Sequence) + 1;
    }

    public string Directory { get; }

    public long MaxBytes { get; }

    public long Bytes { get; private set; }

    public long Points { get; private set; }

    public int Count => _entries.Count;

    public bool IsEmpty => _entries.Count == 0;

    /// <summary>Adds a batch at the end; returns how many points were dropped to stay within the bound (the oldest batches, or this one if it alone is too big).</summary>
    public int Append(ReadOnlySpan<byte> batch, int points)
    {
        if (batch.Length > MaxBytes)
            return points;
        var dropped = 0;
        while (Bytes + batch.Length > MaxBytes && _entries.First is { } oldest)
        {
            dropped += oldest.Value.Points;
            Remove(oldest.Value);
        }
        var sequence = _nextSequence++;
        var path = Path.Combine(Directory, string.Create(CultureInfo.InvariantCulture, $"{sequence:D16}-{points}{Extension}"));
        WriteDurably(path, batch);
        AddLast(new Entry(path, sequence, points, batch.Length));
        return dropped;
    }

    public bool TryPeek(out Entry entry)
    {
        entry = _entries.First?.Value!;
        return entry is not null;
    }

    /// <summary>The batch's bytes; null when its file has gone or cannot be read (then it is forgotten).</summary>
    public byte[]? Read(Entry entry)
    {
        try
        {
            return File.ReadAllBytes(entry.Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Forget(entry);
            return null;
        }
    }

    public void Remove(Entry entry)
    {
        File.Delete(entry.Path);
        Forget(entry);
    }

    /// <summary>Moves a spooled batch InfluxDB refused into <c>rejected/</c>; returns its new path.</summary>
    public string SetAside(Entry entry)
    {
        var target = RejectedPath(Path.GetFileName(entry.Path));
        File.Move(entry.Path, target, overwrite: true);
        Forget(entry);
        TrimRejected();
        return target;
    }

    /// <summary>Keeps a refused batch that was never spooled in <c>rejected/</c>; returns its path.</summary>
    public string SetAside(ReadOnlySpan<byte> batch, int points)
    {
        var target = RejectedPath(string.Create(CultureInfo.InvariantCulture, $"{_nextSequence++:D16}-{points}{Extension}"));
        WriteDurably(target, batch);
        TrimRejected();
        return target;
    }

    public void Dispose() => _lock.Dispose();

    /// <summary>
    /// Checks, before any work starts, that <paramref name="directory"/> can be this process's spool: creates it,
    /// takes its lock and lets go again.
    /// </summary>
    /// <exception cref="InputException">Naming the folder, why it cannot be used and the setting that moves it.</exception>
    public static void CheckUsable(string directory) => Claim(Path.GetFullPath(directory)).Dispose();

    /// <summary>Creates the folder and takes its lock file, or says why it cannot, as bad input (exit 2), not a crash.</summary>
    private static FileStream Claim(string directory)
    {
        try
        {
            var parent = Path.GetDirectoryName(directory);
            for (var ancestor = parent; ancestor is not null; ancestor = Path.GetDirectoryName(ancestor))
            {
                if (File.Exists(ancestor))
                    throw Unusable(directory, $"{ancestor} is a file, not a folder");
            }
            System.IO.Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unusable(directory, e.Message, e);
        }
        var lockPath = Path.Combine(directory, LockFile);
        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (File.Exists(lockPath) && IsWritableFolder(directory))
        {
            throw new Configuration.InputException(
                $"the metrics spool {directory} is in use by another process (it holds {LockFile}); give each process its own folder: {SpoolSetting}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unusable(directory, e.Message, e);
        }
    }

    private static string SpoolSetting => Configuration.SettingName.Of<Configuration.InfluxOptions>(nameof(Configuration.InfluxOptions.Spool)).ToString();

    private static Configuration.InputException Unusable(string directory, string reason, Exception? inner = null) => new(
        $"the metrics spool {directory} cannot be used: {reason}. Point it at a writable folder with {SpoolSetting}, " +
        "or move the default state folder with XDG_STATE_HOME (a container with a read-only root needs a writable volume there)", inner);

    private static bool IsWritableFolder(string directory)
    {
        var probe = Path.Combine(directory, $".probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    internal static bool TryParseName(string path, out long sequence, out int points)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var dash = name.IndexOf('-');
        points = 0;
        sequence = 0;
        return dash > 0
            && long.TryParse(name.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out sequence)
            && int.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out points);
    }

    private static void WriteDurably(string path, ReadOnlySpan<byte> batch)
    {
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            file.Write(batch);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    private string RejectedPath(string name)
    {
        var folder = Path.Combine(Directory, RejectedFolder);
        System.IO.Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }

    private void TrimRejected()
    {
        var files = System.IO.Directory.GetFiles(Path.Combine(Directory, RejectedFolder), "*" + Extension);
        Array.Sort(files, StringComparer.Ordinal);
        foreach (var old in files.SkipLast(KeepRejected))
            File.Delete(old);
    }

    private void AddLast(Entry entry)
    {
        _entries.AddLast(entry);
        Bytes += entry.Bytes;
        Points += entry.Points;
    }

    private void Forget(Entry entry)
    {
        if (!_entries.Remove(entry))
            return;
        Bytes -= entry.Bytes;
        Points -= entry.Points;
    }
}
