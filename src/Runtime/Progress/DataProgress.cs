namespace GridSweep.Runtime.Progress;

/// <summary>
/// Progress of one stage of loading data. <see cref="Total"/> is 0 when the amount of work is not known in advance.
/// The library never writes to the console; the CLI turns these into progress bars.
/// </summary>
public sealed record DataProgress(string Stage, long Done, long Total)
{
    /// <summary>Downloading the archive; counts bytes.</summary>
    public const string Download = "download";
    /// <summary>Hashing an already downloaded archive once; counts bytes.</summary>
    public const string Verify = "verify";
    /// <summary>Reading reviews from the archive or folder; counts compressed bytes (archive) or files (folder).</summary>
    public const string Read = "read";
    /// <summary>Counting word frequencies over the train split; counts reviews.</summary>
    public const string Count = "count";
    /// <summary>Turning reviews into index sequences; counts reviews.</summary>
    public const string Encode = "encode";
    /// <summary>Writing the encoded dataset to the cache; counts bytes.</summary>
    public const string Save = "save";
    /// <summary>Reading a previously encoded dataset from the cache; counts bytes.</summary>
    public const string Cache = "cache";
}
