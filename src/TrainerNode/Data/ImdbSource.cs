using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using GridSweep.Runtime.Progress;

namespace GridSweep.TrainerNode.Data;

/// <summary>One labelled review as read from the source, before encoding.</summary>
internal readonly record struct RawReview(bool Positive, int Id, int Rating, string Text);

/// <summary>Both labelled splits, each ordered negatives first, then positives, each by numeric id.</summary>
/// <param name="Digest">What the reviews were read from: the archive file's SHA-256, or the folder's (<see cref="SourceDigest.OfFolder"/>
/// over the review files read, by their paths relative to the aclImdb folder).</param>
internal sealed record RawReviews(RawReview[] Train, RawReview[] Test, SourceDigest Digest);

/// <summary>
/// The labelled IMDB reviews in Stanford's layout, <c>aclImdb/{train,test}/{pos,neg}/&lt;id&gt;_&lt;rating&gt;.txt</c>,
/// inside a .tar.gz (read in one streaming pass) or extracted into a folder (the aclImdb folder or its parent).
/// Everything else (README, vocabulary, bag-of-words files, train/unsup) is ignored.
/// </summary>
internal sealed class ImdbSource
{
    private const string Layout = "aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt";
    private const long ReportEveryBytes = 1 << 20;

    // Folder sources: the review files found when the folder was opened.
    private readonly ReviewFile[]? _files;

    private ImdbSource(string fullPath, string fingerprint, ReviewFile[]? files)
    {
        FullPath = fullPath;
        Fingerprint = fingerprint;
        _files = files;
    }

    public string FullPath { get; }

    public string Name => Path.GetFileName(FullPath);

    /// <summary>Changes whenever the source's content may have changed: path, size and modification time.</summary>
    public string Fingerprint { get; }

    public static ImdbSource Open(string path)
    {
        var fullPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (File.Exists(fullPath))
        {
            var info = new FileInfo(fullPath);
            return new ImdbSource(fullPath, $"archive|{fullPath}|{info.Length}|{info.LastWriteTimeUtc.Ticks}", null);
        }
        if (Directory.Exists(fullPath))
            return OpenFolder(fullPath);
        throw new DataSourceException(fullPath, "does not exist; expected Stanford's aclImdb_v1.tar.gz or the folder it extracts to");
    }

    public RawReviews Read(IProgress<DataProgress>? progress, CancellationToken cancellationToken) =>
        _files is null ? ReadArchive(progress, cancellationToken) : ReadFolder(_files, progress, cancellationToken);

    private static ImdbSource OpenFolder(string fullPath)
    {
        var root = HasSplits(fullPath) ? fullPath
            : HasSplits(Path.Combine(fullPath, "aclImdb")) ? Path.Combine(fullPath, "aclImdb")
            : throw new DataSourceException(fullPath, $"is neither an extracted aclImdb folder (with train/ and test/) nor its parent; expected {Layout}");

        var files = new List<ReviewFile>();
        var newest = DateTime.MinValue;
        foreach (var split in (string[])["train", "test"])
        {
            foreach (var label in (string[])["neg", "pos"])
            {
                var folder = new DirectoryInfo(Path.Combine(root, split, label));
                if (!folder.Exists)
                    continue;
                foreach (var file in folder.EnumerateFiles("*.txt"))
                {
                    if (!TryParseFileName(file.Name, out var id, out var rating))
                        continue;
                    files.Add(new ReviewFile(file.FullName, $"{split}/{label}/{file.Name}", split == "test", label == "pos", id, rating));
                    if (file.LastWriteTimeUtc > newest)
                        newest = file.LastWriteTimeUtc;
                }
            }
        }
        return new ImdbSource(fullPath, $"folder|{root}|{files.Count}|{newest.Ticks}", [.. files]);

        static bool HasSplits(string folder) =>
            Directory.Exists(Path.Combine(folder, "train")) || Directory.Exists(Path.Combine(folder, "test"));
    }

    private RawReviews ReadArchive(IProgress<DataProgress>? progress, CancellationToken cancellationToken)
    {
        var collector = new Collector(FullPath);
        SourceDigest digest;
        try
        {
            using var file = new FileStream(FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            if (file.ReadByte() != 0x1f || file.ReadByte() != 0x8b)
                throw new DataSourceException(FullPath, "is not a gzip file; expected a .tar.gz like aclImdb_v1.tar.gz, or an extracted folder");
            file.Position = 0;

            var stage = new StageProgress(progress, DataProgress.Read, file.Length);
            stage.Start();
            var reported = 0L;
            // Hashed as it is decompressed: the archive's identity costs no second read of its 80 MB.
            using var hashing = new HashingStream(file);
            using var gzip = new GZipStream(hashing, CompressionMode.Decompress, leaveOpen: true);
            using var tar = new TarReader(gzip);
            var buffer = new byte[64 * 1024];
            while (tar.GetNextEntry() is { } entry)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                    || !TryParseLocation(entry.Name, out var test, out var positive, out var id, out var rating))
                    continue;

                var length = checked((int)entry.Length);
                if (buffer.Length < length)
                    buffer = new byte[Math.Max(length, buffer.Length * 2)];
                entry.DataStream?.ReadExactly(buffer, 0, length);
                collector.Add(test, new RawReview(positive, id, rating, Encoding.UTF8.GetString(buffer, 0, length)));

                if (file.Position - reported >= ReportEveryBytes)
                {
                    reported = file.Position;
                    stage.Set(reported);
                }
            }
            digest = hashing.Finish(file.Length);
            stage.Set(file.Length);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new DataSourceException(FullPath, $"is not a readable .tar.gz archive (corrupt or truncated): {e.Message}", e);
        }
        return collector.Finish(digest);
    }

    private RawReviews ReadFolder(ReviewFile[] files, IProgress<DataProgress>? progress, CancellationToken cancellationToken)
    {
        var stage = new StageProgress(progress, DataProgress.Read, files.Length);
        stage.Start();
        var texts = new string[files.Length];
        var digests = new SourceDigest[files.Length];
        Chunked.For(files.Length, 256, cancellationToken, static () => 0, (start, end, _) =>
        {
            // Decoded exactly like archive entries, so both sources give the same text; hashed from the same bytes.
            for (var i = start; i < end; i++)
            {
                var bytes = File.ReadAllBytes(files[i].Path);
                digests[i] = SourceDigest.Of(bytes);
                texts[i] = Encoding.UTF8.GetString(bytes);
            }
            stage.Add(end - start);
        });

        var collector = new Collector(FullPath);
        for (var i = 0; i < files.Length; i++)
            collector.Add(files[i].Test, new RawReview(files[i].Positive, files[i].Id, files[i].Rating, texts[i]));
        return collector.Finish(SourceDigest.OfFolder(files.Select((file, i) => (file.RelativePath, digests[i]))));
    }

    /// <summary>Recognizes <c>.../{train,test}/{pos,neg}/&lt;id&gt;_&lt;rating&gt;.txt</c> in an archive entry name.</summary>
    internal static bool TryParseLocation(string entryName, out bool test, out bool positive, out int id, out int rating)
    {
        test = positive = false;
        id = rating = 0;
        var parts = entryName.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3 || parts[^3] is not ("train" or "test") || parts[^2] is not ("pos" or "neg"))
            return false;
        test = parts[^3] == "test";
        positive = parts[^2] == "pos";
        return TryParseFileName(parts[^1], out id, out rating);
    }

    /// <summary>Recognizes <c>&lt;id&gt;_&lt;rating&gt;.txt</c>.</summary>
    internal static bool TryParseFileName(ReadOnlySpan<char> fileName, out int id, out int rating)
    {
        id = rating = 0;
        if (!fileName.EndsWith(".txt", StringComparison.Ordinal))
            return false;
        var stem = fileName[..^4];
        var underscore = stem.IndexOf('_');
        return underscore > 0
            && int.TryParse(stem[..underscore], NumberStyles.None, CultureInfo.InvariantCulture, out id)
            && int.TryParse(stem[(underscore + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out rating);
    }

    /// <param name="RelativePath">Below the aclImdb folder, <c>/</c>-separated: <c>train/neg/0_3.txt</c>.</param>
    private readonly record struct ReviewFile(string Path, string RelativePath, bool Test, bool Positive, int Id, int Rating);

    /// <summary>Puts reviews in a fixed order, whatever order the source listed them in, and checks the result.</summary>
    private sealed class Collector(string sourcePath)
    {
        private readonly List<RawReview> _train = [];
        private readonly List<RawReview> _test = [];

        public void Add(bool test, RawReview review) => (test ? _test : _train).Add(review);

        public RawReviews Finish(SourceDigest digest)
        {
            var train = Order(_train, "train");
            var test = Order(_test, "test");
            var counts = new (string Group, int Count)[]
            {
                ("train/neg", train.Count(r => !r.Positive)),
                ("train/pos", train.Count(r => r.Positive)),
                ("test/neg", test.Count(r => !r.Positive)),
                ("test/pos", test.Count(r => r.Positive)),
            };
            var missing = counts.Where(c => c.Count == 0).Select(c => c.Group).ToArray();
            if (missing.Length > 0)
            {
                throw new DataSourceException(sourcePath,
                    $"has no reviews in {string.Join(", ", missing)} (found {string.Join(", ", counts.Select(c => $"{c.Group} {c.Count}"))}); expected files {Layout}");
            }
            return new RawReviews(train, test, digest);
        }

        private RawReview[] Order(List<RawReview> reviews, string split)
        {
            var ordered = reviews.ToArray();
            Array.Sort(ordered, static (a, b) => a.Positive != b.Positive ? a.Positive.CompareTo(b.Positive) : a.Id.CompareTo(b.Id));
            for (var i = 1; i < ordered.Length; i++)
            {
                if (ordered[i].Positive == ordered[i - 1].Positive && ordered[i].Id == ordered[i - 1].Id)
                {
                    throw new DataSourceException(sourcePath,
                        $"has two reviews with id {ordered[i].Id} in {split}/{(ordered[i].Positive ? "pos" : "neg")}");
                }
            }
            return ordered;
        }
    }
}
