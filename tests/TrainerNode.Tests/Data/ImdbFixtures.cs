using GridSweep.Runtime.Progress;
using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using GridSweep.TrainerNode.Data;

namespace GridSweep.TrainerNode.Tests.Data;

/// <summary>One review file of a fixture: <c>aclImdb/{Split}/{Label}/{Id}_{Rating}.txt</c>.</summary>
internal sealed record FixtureReview(string Split, string Label, int Id, int Rating, string Text)
{
    public string RelativePath => $"aclImdb/{Split}/{Label}/{Id}_{Rating}.txt";

    /// <summary>Each text starts with a unique tag word that names the review, e.g. "trainpos10".</summary>
    public string Tag => $"{Split}{Label}{Id}";
}

/// <summary>A tiny dataset in Stanford's layout, written as a .tar.gz or as an extracted folder.</summary>
internal static class ImdbFixtures
{
    public static readonly FixtureReview[] Reviews =
    [
        new("train", "neg", 0, 2, "TrainNeg0: a <br />bad, BAD movie."),
        new("train", "neg", 1, 3, "trainneg1 the worst film"),
        new("train", "pos", 0, 9, "trainpos0 a great film!"),
        new("train", "pos", 2, 8, "trainpos2 great great acting"),
        new("train", "pos", 10, 7, "trainpos10 don't miss it"),
        new("test", "neg", 3, 1, "testneg3 boring"),
        new("test", "neg", 0, 4, "testneg0 bad acting"),
        new("test", "pos", 5, 10, "testpos5 the best, Amélie"),
    ];

    /// <summary>The order the loader must produce: split, then negatives before positives, then numeric id.</summary>
    public static readonly string[] TrainOrder = ["trainneg0", "trainneg1", "trainpos0", "trainpos2", "trainpos10"];
    public static readonly string[] TestOrder = ["testneg0", "testneg3", "testpos5"];

    /// <summary>Files that are not labelled reviews; a loader must skip them.</summary>
    private static readonly (string Path, string Text)[] OtherFiles =
    [
        ("aclImdb/README", "Large Movie Review Dataset v1.0"),
        ("aclImdb/imdb.vocab", "the\nand\na\n"),
        ("aclImdb/train/urls_pos.txt", "http://www.imdb.com/title/tt0453418/usercomments"),
        ("aclImdb/train/labeledBow.feat", "9 0:9 1:1"),
        ("aclImdb/train/pos/notes.txt", "not a review"),
    ];

    /// <summary>Unlabelled reviews whose words would change train frequencies if they were counted.</summary>
    private static readonly (string Path, string Text)[] UnsupFiles =
    [
        ("aclImdb/train/unsup/0_0.txt", "zebra zebra zebra zebra zebra zebra"),
        ("aclImdb/train/unsup/1_0.txt", "zebra quokka quokka quokka"),
    ];

    /// <summary>A Keras-style word index covering the fixture's words: the tags first, then the common words.</summary>
    public static readonly string[] KerasWords =
    [
        .. Reviews.Select(r => r.Tag),
        "the", "a", "great", "bad", "film", "movie", "acting", "worst", "don't", "miss", "it", "boring", "best", "amélie",
    ];

    public static IEnumerable<(string Path, string Text)> Files(bool withUnsup) =>
        Reviews.Select(r => (r.RelativePath, r.Text)).Concat(OtherFiles).Concat(withUnsup ? UnsupFiles : []);

    public static string WriteArchive(string path, bool withUnsup = true, bool reversed = false, IEnumerable<(string Path, string Text)>? files = null)
    {
        var entries = (files ?? Files(withUnsup)).ToList();
        if (reversed)
            entries.Reverse();
        using var stream = File.Create(path);
        using var gzip = new GZipStream(stream, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        var folders = new HashSet<string>();
        foreach (var (name, text) in entries)
        {
            // Folder entries, as GNU tar writes them before their contents.
            for (var slash = name.IndexOf('/'); slash > 0; slash = name.IndexOf('/', slash + 1))
            {
                var folder = name[..(slash + 1)];
                if (folders.Add(folder))
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, folder));
            }
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
        }
        return path;
    }

    /// <summary>Writes the files under <paramref name="parent"/>, so <c>parent/aclImdb</c> is the dataset folder.</summary>
    public static string WriteFolder(string parent, bool withUnsup = true, IEnumerable<(string Path, string Text)>? files = null)
    {
        foreach (var (name, text) in files ?? Files(withUnsup))
        {
            var path = Path.Combine(parent, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }
        return parent;
    }

    public static string WriteKerasWordIndex(string path)
    {
        var ranks = KerasWords.Select((word, i) => (word, rank: i + 1)).ToDictionary(p => p.word, p => p.rank);
        File.WriteAllText(path, JsonSerializer.Serialize(ranks));
        return path;
    }

    /// <summary>The tag of every review in a split, read back through the fixture's Keras word index.</summary>
    public static string[] Tags(ReviewSplit split) =>
        Enumerable.Range(0, split.Count).Select(i => KerasWords[split.Review(i)[1] - WordIndex.IndexFrom - 1]).ToArray();

    public static void AssertSameData(ReviewDataset expected, ReviewDataset actual)
    {
        Assert.Equal(expected.NumWords, actual.NumWords);
        AssertSameSplit(expected.Train, actual.Train);
        AssertSameSplit(expected.Test, actual.Test);
    }

    public static void AssertSameSplit(ReviewSplit expected, ReviewSplit actual)
    {
        Assert.Equal(expected.Labels, actual.Labels);
        Assert.Equal(expected.Offsets, actual.Offsets);
        Assert.Equal(expected.Tokens, actual.Tokens);
    }
}

/// <summary>Records every report synchronously (<see cref="Progress{T}"/> would post them to the thread pool).</summary>
internal sealed class RecordingProgress : IProgress<DataProgress>
{
    private readonly ConcurrentQueue<DataProgress> _reports = new();

    public IReadOnlyList<DataProgress> Reports => [.. _reports];

    public IReadOnlyList<string> Stages => _reports.Select(r => r.Stage).Distinct().ToArray();

    public void Report(DataProgress value) => _reports.Enqueue(value);
}
