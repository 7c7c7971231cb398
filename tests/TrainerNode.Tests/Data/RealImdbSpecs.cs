using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using GridSweep.TrainerNode.Data;
using Xunit.Abstractions;

namespace GridSweep.TrainerNode.Tests.Data;

/// <summary>The real labelled IMDB archive; fails, with directions, when the archive is not there.</summary>
public sealed class RealImdbSpecs(ITestOutputHelper output)
{
    private const int NumWords = 10_000;

    [Fact]
    public async Task The_real_archive_loads_as_keras_encodes_it()
    {
        var archive = TestData.ImdbArchive;
        var wordIndexPath = TestData.KerasWordIndex;
        using var temp = new TempDirectory();

        var clock = Stopwatch.StartNew();
        var data = await ImdbLoader.LoadAsync(new ImdbLoadOptions(archive, NumWords, wordIndexPath, temp.Path));
        output.WriteLine($"first load: {clock.Elapsed.TotalSeconds:0.00} s ({data.Description})");

        Assert.Equal((25_000, 25_000), (data.Train.Count, data.Test.Count));
        Assert.Equal(12_500, data.Train.Labels.Count(l => l == 1f));
        Assert.Equal(12_500, data.Test.Labels.Count(l => l == 1f));
        foreach (var split in new[] { data.Train, data.Test })
        {
            Assert.All(Enumerable.Range(0, split.Count), i => Assert.Equal(WordIndex.Start, split.Review(i)[0]));
            Assert.InRange(split.Tokens.Max(), WordIndex.IndexFrom + 1, NumWords - 1);
        }

        // The first train review is train/neg with the lowest id.
        var expected = WordIndex.LoadKeras(wordIndexPath).Encode(ReadEntry(archive, "aclImdb/train/neg/0_"), NumWords);
        Assert.Equal(expected, data.Train.Review(0).ToArray());
    }

    private static string ReadEntry(string archive, string namePrefix)
    {
        using var reader = new TarReader(new GZipStream(File.OpenRead(archive), CompressionMode.Decompress));
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.Name.StartsWith(namePrefix, StringComparison.Ordinal) && entry.DataStream is { } data)
                return new StreamReader(data, Encoding.UTF8).ReadToEnd();
        }
        throw new InvalidOperationException($"no entry starting with {namePrefix} in {archive}");
    }
}
