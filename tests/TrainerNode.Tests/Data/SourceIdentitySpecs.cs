using System.Diagnostics;
using System.Security.Cryptography;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.TrainerNode.Data;
using Xunit.Abstractions;

namespace GridSweep.TrainerNode.Tests.Data;

/// <summary>
/// The identity of the files a node trains on, computed as they are loaded: the real shared datasets (fails, with
/// directions, when they are not there) and small written ones. Every expected hash is computed here with SHA-256
/// directly from the file, not through the loaders.
/// </summary>
public sealed class SourceIdentitySpecs(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory temp = new("gridsweep-identity");

    public void Dispose() => temp.Dispose();

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static DataSource Expected(string role, string path) => new(role, Path.GetFileName(path), new FileInfo(path).Length, Sha256(path));

    [Fact]
    public async Task The_imdb_archive_and_keras_word_index_are_identified_by_their_sha256_also_when_loaded_from_the_cache()
    {
        var (archive, wordIndex) = (TestData.ImdbArchive, TestData.KerasWordIndex);
        var options = new ImdbLoadOptions(archive, 1_000, wordIndex, temp.Combine("cache"));

        var clock = Stopwatch.StartNew();
        var first = await ImdbLoader.LoadAsync(options);
        output.WriteLine($"read, hashed and encoded: {clock.Elapsed.TotalSeconds:0.00} s");
        clock.Restart();
        var cached = await ImdbLoader.LoadAsync(options);
        output.WriteLine($"from the cache: {clock.Elapsed.TotalSeconds:0.00} s");

        Assert.Equal([Expected(DataRoles.Dataset, archive), Expected(DataRoles.WordIndex, wordIndex)], first.Identity.Sources);
        Assert.Equal(first.Identity.Sources, cached.Identity.Sources);
        Assert.Equal(first.Identity.Digest, cached.Identity.Digest);
    }

    [Fact]
    public async Task Dropping_the_word_index_changes_the_imdb_identity_and_the_difference_names_it()
    {
        var archive = TestData.ImdbArchive;
        var withIndex = await ImdbLoader.LoadAsync(new ImdbLoadOptions(archive, 1_000, TestData.KerasWordIndex, temp.Combine("cache")));
        var without = await ImdbLoader.LoadAsync(new ImdbLoadOptions(archive, 1_000, null, temp.Combine("cache")));

        Assert.Equal([Expected(DataRoles.Dataset, archive)], without.Identity.Sources);
        Assert.NotEqual(withIndex.Identity.Digest, without.Identity.Digest);
        var difference = Assert.Single(without.Identity.DifferencesFrom(withIndex.Identity));
        Assert.StartsWith("word_index: none here, imdb_word_index.json (", difference);
        Assert.EndsWith($"sha256 {Sha256(TestData.KerasWordIndex)[..8]}…) recorded", difference);
    }

    [Fact]
    public async Task Fashion_mnist_is_its_four_files_and_the_same_files_in_another_folder_are_the_same_data()
    {
        var folder = TestData.FashionMnistFolder;
        var copy = Directory.CreateDirectory(temp.Combine("elsewhere", "fmnist")).FullName;
        foreach (var name in new[] { FashionMnist.TrainImages, FashionMnist.TrainLabels, FashionMnist.TestImages, FashionMnist.TestLabels })
            File.Copy(Path.Combine(folder, name), Path.Combine(copy, name));

        var first = await FashionMnist.LoadAsync(folder, temp.Combine("cache"));
        var again = await FashionMnist.LoadAsync(folder, temp.Combine("cache"));
        var moved = await FashionMnist.LoadAsync(copy, temp.Combine("cache"));

        Assert.Equal(
        [
            Expected(DataRoles.TrainImages, Path.Combine(folder, FashionMnist.TrainImages)),
            Expected(DataRoles.TrainLabels, Path.Combine(folder, FashionMnist.TrainLabels)),
            Expected(DataRoles.TestImages, Path.Combine(folder, FashionMnist.TestImages)),
            Expected(DataRoles.TestLabels, Path.Combine(folder, FashionMnist.TestLabels)),
        ], first.Identity.Sources);
        Assert.Equal(first.Identity.Sources, again.Identity.Sources);
        Assert.Equal(first.Identity.Sources, moved.Identity.Sources);
        Assert.Equal(first.Identity.Digest, moved.Identity.Digest);
    }

    private static DatasetSpec Boston(string path, string? validationPath = null) =>
        new(DatasetNames.Csv, 0, Path: path, Target: "MEDV", DeclaredTask: LearningTask.Regression, ValidationPath: validationPath);

    [Fact]
    public void A_table_is_identified_by_its_sha256_wherever_and_however_named_it_lies()
    {
        var original = TestData.BostonHousing;
        var moved = temp.Combine("prices.csv");
        File.Copy(original, moved);

        var first = CsvDataset.Load(Boston(original), original).Identity;
        var again = CsvDataset.Load(Boston(original), original).Identity;
        var elsewhere = CsvDataset.Load(Boston(moved), moved).Identity;

        Assert.Equal([Expected(DataRoles.Dataset, original)], first.Sources);
        Assert.Equal(first.Sources, again.Sources);
        Assert.Equal(first.Digest, elsewhere.Digest);
        Assert.Equal("prices.csv", Assert.Single(elsewhere.Sources).Name);
        Assert.Empty(elsewhere.DifferencesFrom(first));
    }

    [Fact]
    public void One_changed_byte_of_a_table_changes_its_identity_and_the_difference_shows_both_hashes()
    {
        var original = TestData.BostonHousing;
        var edited = temp.Combine("boston_housing.csv");
        var bytes = File.ReadAllBytes(original);
        var digit = Array.IndexOf(bytes, (byte)'4', bytes.Length / 2); // A digit in some row: the table still parses.
        bytes[digit] = (byte)'5';
        File.WriteAllBytes(edited, bytes);

        var recorded = CsvDataset.Load(Boston(original), original).Identity;
        var here = CsvDataset.Load(Boston(edited), edited).Identity;

        Assert.NotEqual(recorded.Digest, here.Digest);
        var difference = Assert.Single(here.DifferencesFrom(recorded));
        Assert.Equal($"dataset: boston_housing.csv sha256 {Sha256(edited)[..8]}… here, sha256 {Sha256(original)[..8]}… recorded", difference);
    }

    [Fact]
    public void A_separate_validation_table_is_a_source_of_its_own()
    {
        var lines = File.ReadAllLines(TestData.BostonHousing);
        var train = temp.Combine("train.csv");
        var validation = temp.Combine("valid.csv");
        File.WriteAllLines(train, lines[..400]);
        File.WriteAllLines(validation, [lines[0], .. lines[400..]]);

        var identity = CsvDataset.Load(Boston(train, validation), train).Identity;

        Assert.Equal([Expected(DataRoles.Dataset, train), Expected(DataRoles.Validation, validation)], identity.Sources);
    }

    [Fact]
    public void An_archive_is_hashed_whole_while_it_is_read_tar_padding_and_gzip_trailer_included()
    {
        var archive = ImdbFixtures.WriteArchive(temp.Combine("fixture.tar.gz"));

        var reviews = ImdbSource.Open(archive).Read(null, CancellationToken.None);

        Assert.Equal(new SourceDigest(new FileInfo(archive).Length, Sha256(archive)), reviews.Digest);
    }

    [Fact]
    public void An_extracted_folder_is_identified_by_the_review_files_it_uses_wherever_it_lies()
    {
        var here = ImdbSource.Open(ImdbFixtures.WriteFolder(temp.Combine("a"), withUnsup: true)).Read(null, CancellationToken.None).Digest;
        // Elsewhere, without the files no review comes from, opened at the aclImdb folder instead of its parent.
        var there = ImdbSource.Open(Path.Combine(ImdbFixtures.WriteFolder(temp.Combine("b"), withUnsup: false), "aclImdb"))
            .Read(null, CancellationToken.None).Digest;

        Assert.Equal(here, there);
        // The scheme, written out: "<path below aclImdb> <bytes> <sha256>\n" per review file, sorted by path.
        var lines = ImdbFixtures.Reviews
            .Select(r => (Path: r.RelativePath["aclImdb/".Length..], Bytes: System.Text.Encoding.UTF8.GetBytes(r.Text)))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .Select(f => $"{f.Path} {f.Bytes.Length} {Convert.ToHexStringLower(SHA256.HashData(f.Bytes))}\n");
        var expected = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Concat(lines))));
        Assert.Equal(new SourceDigest(ImdbFixtures.Reviews.Sum(r => (long)System.Text.Encoding.UTF8.GetByteCount(r.Text)), expected), here);
    }

    [Fact]
    public void An_edited_or_renamed_review_changes_the_folders_identity()
    {
        var original = ImdbSource.Open(ImdbFixtures.WriteFolder(temp.Combine("a"))).Read(null, CancellationToken.None).Digest;
        var first = ImdbFixtures.Reviews[0].RelativePath;

        var editedFolder = ImdbFixtures.WriteFolder(temp.Combine("b"));
        File.AppendAllText(Path.Combine(editedFolder, first), " ");
        var edited = ImdbSource.Open(editedFolder).Read(null, CancellationToken.None).Digest;

        var renamedFolder = ImdbFixtures.WriteFolder(temp.Combine("c"));
        var path = Path.Combine(renamedFolder, first);
        File.Move(path, Path.Combine(Path.GetDirectoryName(path)!, "9999_" + Path.GetFileName(path).Split('_')[1]));
        var renamed = ImdbSource.Open(renamedFolder).Read(null, CancellationToken.None).Digest;

        Assert.NotEqual(original.Sha256, edited.Sha256);
        Assert.NotEqual(original.Sha256, renamed.Sha256);
        Assert.Equal(original.Bytes, renamed.Bytes);
    }
}
