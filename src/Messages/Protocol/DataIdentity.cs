using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace GridSweep.Messages.Protocol;

/// <summary>
/// One file (or folder of files) a dataset is read from, as a trainer read it.
/// </summary>
/// <param name="Role">What the file is to the dataset, a stable word: <c>dataset</c>, <c>word_index</c>, <c>validation</c>,
/// or Fashion-MNIST's <c>train_images</c>, <c>train_labels</c>, <c>test_images</c>, <c>test_labels</c>.</param>
/// <param name="Name">The file's name without its folder: the same data at another path, on another machine, is the same data.</param>
/// <param name="Bytes">Its size; for a folder, the sum of the files used.</param>
/// <param name="Sha256">Lowercase hex SHA-256 of its bytes (for a folder, of its sorted relative paths and file hashes).</param>
public sealed record DataSource(string Role, string Name, long Bytes, string Sha256);

/// <summary>
/// What a trial's numbers were trained on: the hash of every file the data came from, by role. Two runs with the
/// same identity trained on the same bytes; the file names and sizes only help people read it. Equality is by
/// <see cref="Digest"/> (roles and hashes), whatever the order of <see cref="Sources"/> or the files' names.
/// </summary>
public sealed record DataIdentity
{
    private const int ShortHash = 8;

    private string? digest;

    /// <exception cref="ArgumentException">A role is empty or named twice, or a hash is not 64 lowercase hex digits.</exception>
    public DataIdentity(IReadOnlyList<DataSource> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var roles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            if (string.IsNullOrWhiteSpace(source.Role))
                throw new ArgumentException($"a data source has no role: {source}", nameof(sources));
            if (!roles.Add(source.Role))
                throw new ArgumentException($"role '{source.Role}' is named twice", nameof(sources));
            if (source.Sha256 is not { Length: 64 } hash || !hash.All(char.IsAsciiHexDigitLower))
                throw new ArgumentException($"{source.Role}: '{source.Sha256}' is not a lowercase hex SHA-256", nameof(sources));
        }
        Sources = [.. sources];
    }

    /// <summary>In the order the dataset names them (the data first).</summary>
    public IReadOnlyList<DataSource> Sources { get; }

    /// <summary>
    /// Lowercase hex SHA-256 of the lines <c>&lt;role&gt; &lt;sha256&gt;\n</c> sorted by role (ordinal): stable across
    /// machines, paths, file names and the order of <see cref="Sources"/>. Derived, so not sent on the wire.
    /// </summary>
    [JsonIgnore]
    public string Digest => digest ??= ComputeDigest(Sources);

    /// <summary>One short line per source, e.g. <c>word_index imdb_word_index.json 1.6 MB sha256 1a2b3c4d…</c>, joined by newlines.</summary>
    public string Describe() =>
        string.Join('\n', Sources.Select(s => $"{s.Role} {s.Name} {Size(s.Bytes)} sha256 {Short(s.Sha256, ShortHash)}"));

    /// <summary>
    /// What differs between this run's data ("here") and <paramref name="recorded"/> (the data of an earlier run), one line per
    /// role that differs, e.g. <c>word_index: none here, imdb_word_index.json (sha256 1a2b3c4d…) recorded</c>. Empty when
    /// the two are the same data. Roles in this identity's order, then those only <paramref name="recorded"/> has.
    /// </summary>
    public IReadOnlyList<string> DifferencesFrom(DataIdentity recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        var differences = new List<string>();
        var theirs = recorded.Sources.ToDictionary(s => s.Role, StringComparer.Ordinal);
        foreach (var mine in Sources)
        {
            if (!theirs.Remove(mine.Role, out var their))
                differences.Add($"{mine.Role}: {Full(mine)} here, none recorded");
            else if (mine.Sha256 != their.Sha256)
                differences.Add($"{mine.Role}: {Changed(mine, their)}");
        }
        foreach (var their in recorded.Sources.Where(s => theirs.ContainsKey(s.Role)))
            differences.Add($"{their.Role}: none here, {Full(their)} recorded");
        return differences;
    }

    public bool Equals(DataIdentity? other) => other is not null && Digest == other.Digest;

    public override int GetHashCode() => Digest.GetHashCode(StringComparison.Ordinal);

    /// <summary>The sources, for logs and exception messages.</summary>
    public override string ToString() => $"data {Short(Digest, 12)}: {string.Join("; ", Sources.Select(s => $"{s.Role} {s.Name} sha256 {Short(s.Sha256, ShortHash)}"))}";

    private static string ComputeDigest(IReadOnlyList<DataSource> sources)
    {
        var lines = new StringBuilder();
        foreach (var source in sources.OrderBy(s => s.Role, StringComparer.Ordinal))
            lines.Append(source.Role).Append(' ').Append(source.Sha256).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(lines.ToString())));
    }

    private static string Full(DataSource source) => $"{source.Name} ({Size(source.Bytes)}, sha256 {Short(source.Sha256, ShortHash)})";

    /// <summary>Both sides of a changed source, the hashes long enough to tell apart; names and sizes only when they differ.</summary>
    private static string Changed(DataSource mine, DataSource their)
    {
        var common = 0;
        while (common < mine.Sha256.Length && common < their.Sha256.Length && mine.Sha256[common] == their.Sha256[common])
            common++;
        var length = Math.Max(ShortHash, common + 1);
        string Side(DataSource side, bool named) =>
            (named ? side.Name + " " : "") + (mine.Bytes != their.Bytes ? $"{Size(side.Bytes)} " : "") + $"sha256 {Short(side.Sha256, length)}";
        return $"{Side(mine, named: true)} here, {Side(their, named: mine.Name != their.Name)} recorded";
    }

    private static string Short(string hash, int length) => hash.Length <= length ? hash : hash[..length] + "…";

    /// <summary>Decimal units, as file managers show them: 812 B, 51.2 kB, 1.6 MB, 84.1 MB.</summary>
    internal static string Size(long bytes) => bytes switch
    {
        < 1_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e3:0.#} kB"),
        < 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:0.#} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:0.#} GB"),
    };
}

/// <summary>The roles of <see cref="DataSource"/>s: stable words, recorded in run folders, so never renamed.</summary>
public static class DataRoles
{
    /// <summary>The data itself: the IMDB archive or folder, the CSV table (its train rows, or all rows when validation is held out of it).</summary>
    public const string Dataset = "dataset";

    /// <summary>The Keras word index that ranked the IMDB words; absent when the words were ranked by their frequency in the train split.</summary>
    public const string WordIndex = "word_index";

    /// <summary>A CSV dataset's separate validation table.</summary>
    public const string Validation = "validation";

    /// <summary>Fashion-MNIST's four IDX files.</summary>
    public const string TrainImages = "train_images";
    public const string TrainLabels = "train_labels";
    public const string TestImages = "test_images";
    public const string TestLabels = "test_labels";

    /// <summary>Reviews made up from a seed (tests and benchmarks): the hash is of the generator's arguments.</summary>
    public const string Synthetic = "synthetic";
}
