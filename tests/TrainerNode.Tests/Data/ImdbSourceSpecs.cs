using System.IO.Compression;
using System.Text;
using GridSweep.TrainerNode.Data;

using GridSweep.TestKit;

namespace GridSweep.TrainerNode.Tests.Data;

public sealed class ImdbSourceSpecs : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    // A fresh cache for every load, so each one really reads its source.
    private Task<ReviewDataset> Load(string dataPath, string? wordIndexPath = null, int numWords = 20) =>
        ImdbLoader.LoadAsync(new ImdbLoadOptions(dataPath, numWords, wordIndexPath, _temp.Combine($"cache-{Guid.NewGuid():N}")));

    private string KerasIndex() => ImdbFixtures.WriteKerasWordIndex(_temp.Combine("imdb_word_index.json"));

    [Fact]
    public async Task An_archive_is_read_into_splits_ordered_by_label_then_numeric_id()
    {
        var archive = ImdbFixtures.WriteArchive(_temp.Combine("fixture.tar.gz"));

        var data = await Load(archive, KerasIndex());

        Assert.Equal(ImdbFixtures.TrainOrder, ImdbFixtures.Tags(data.Train));
        Assert.Equal(ImdbFixtures.TestOrder, ImdbFixtures.Tags(data.Test));
        Assert.Equal([0f, 0f, 1f, 1f, 1f], data.Train.Labels);
        Assert.Equal([0f, 0f, 1f], data.Test.Labels);
    }

    [Fact]
    public async Task The_order_does_not_depend_on_the_order_of_the_archive()
    {
        var forward = ImdbFixtures.WriteArchive(_temp.Combine("forward.tar.gz"));
        var reversed = ImdbFixtures.WriteArchive(_temp.Combine("reversed.tar.gz"), reversed: true);

        ImdbFixtures.AssertSameData(await Load(forward), await Load(reversed));
    }

    [Fact]
    public async Task Reviews_are_encoded_with_the_given_word_index()
    {
        var archive = ImdbFixtures.WriteArchive(_temp.Combine("fixture.tar.gz"));
        var wordIndex = WordIndex.LoadKeras(KerasIndex());

        var data = await Load(archive, _temp.Combine("imdb_word_index.json"), numWords: 20);

        // train/neg/0 reads "TrainNeg0: a <br />bad, BAD movie."
        Assert.Equal(wordIndex.Encode("TrainNeg0: a <br />bad, BAD movie.", 20), data.Train.Review(0).ToArray());
        Assert.Equal([1, 4, 13, 15, 15, 17], data.Train.Review(0).ToArray());
    }

    [Fact]
    public async Task The_description_names_the_source_and_its_sizes()
    {
        var archive = ImdbFixtures.WriteArchive(_temp.Combine("fixture.tar.gz"));

        var data = await Load(archive, KerasIndex());

        Assert.Equal("IMDB fixture.tar.gz: 5 train / 3 test, 20 words, keras word index", data.Description);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_extracted_folder_or_its_parent_gives_the_same_data_as_the_archive(bool withUnsup)
    {
        var archive = ImdbFixtures.WriteArchive(_temp.Combine("fixture.tar.gz"), withUnsup);
        var parent = ImdbFixtures.WriteFolder(_temp.Combine("extracted"), withUnsup);

        var fromArchive = await Load(archive);

        ImdbFixtures.AssertSameData(fromArchive, await Load(parent));
        ImdbFixtures.AssertSameData(fromArchive, await Load(Path.Combine(parent, "aclImdb")));
    }

    [Fact]
    public async Task Unlabelled_reviews_are_ignored_even_by_train_frequencies()
    {
        var withUnsup = ImdbFixtures.WriteArchive(_temp.Combine("with.tar.gz"), withUnsup: true);
        var without = ImdbFixtures.WriteArchive(_temp.Combine("without.tar.gz"), withUnsup: false);

        var expected = await Load(without);
        var actual = await Load(withUnsup);

        ImdbFixtures.AssertSameData(expected, actual);
        Assert.Equal(5, actual.Train.Count);
    }

    [Fact]
    public async Task A_path_that_does_not_exist_is_named_in_the_error()
    {
        var missing = _temp.Combine("nowhere", "aclImdb_v1.tar.gz");

        var error = await Assert.ThrowsAsync<DataSourceException>(() => Load(missing));

        Assert.Contains(missing, error.Message);
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public async Task A_file_that_is_not_gzip_is_named_in_the_error()
    {
        var path = _temp.Combine("notes.tar.gz");
        File.WriteAllText(path, "this is not an archive");

        var error = await Assert.ThrowsAsync<DataSourceException>(() => Load(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("gzip", error.Message);
    }

    [Fact]
    public async Task A_gzip_file_that_holds_no_tar_is_named_in_the_error()
    {
        var path = _temp.Combine("text.tar.gz");
        using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
            gzip.Write(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("not a tar header ", 100))));

        var error = await Assert.ThrowsAsync<DataSourceException>(() => Load(path));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public async Task A_truncated_archive_is_named_in_the_error()
    {
        var archive = ImdbFixtures.WriteArchive(_temp.Combine("full.tar.gz"));
        var bytes = File.ReadAllBytes(archive);
        var truncated = _temp.Combine("truncated.tar.gz");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);

        var error = await Assert.ThrowsAsync<DataSourceException>(() => Load(truncated));

        Assert.Contains(truncated, error.Message);
    }

    [Fact]
    public async Task An_archive_without_test_reviews_says_which_are_missing()
    {
        var path = ImdbFixtures.WriteArchive(
            _temp.Combine("train-only.tar.gz"),
            files: ImdbFixtures.Files(withUnsup: true).Where(f => !f.Path.StartsWith("aclImdb/test/", StringComparison.Ordinal)));

        var error = await Assert.ThrowsAsync<DataSourceException>(() => Load(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("test/neg, test/pos", error.Message);
    }

    [Fact]
    public async Task A_folder_without_train_reviews_says_which_are_missing()
    {
        var parent = ImdbFixtures.WriteFolder(
            _temp.Combine("extracted"),
            files: ImdbFixtures.Files(withUnsup: false).Where(f => !f.Path.StartsWith("aclImdb/train/", StringComparison.Ordinal)));

        var error = await Assert.ThrowsAsync<DataSourceException>(() => Load(parent));

        Assert.Contains(parent, error.Message);
        Assert.Contains("train/neg, train/pos", error.Message);
    }

    [Fact]
    public async Task A_folder_that_is_not_an_imdb_folder_is_named_in_the_error()
    {
        var folder = _temp.Combine("photos");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "cat.jpg"), "meow");

        var error = await Assert.ThrowsAsync<DataSourceException>(() => Load(folder));

        Assert.Contains(folder, error.Message);
        Assert.Contains("aclImdb", error.Message);
    }

    [Fact]
    public async Task Two_reviews_with_the_same_id_and_label_are_rejected()
    {
        var path = ImdbFixtures.WriteArchive(
            _temp.Combine("duplicate.tar.gz"),
            files: ImdbFixtures.Files(withUnsup: false).Append(("aclImdb/train/pos/10_9.txt", "a second review 10")));

        var error = await Assert.ThrowsAsync<DataSourceException>(() => Load(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("id 10", error.Message);
    }

    [Fact]
    public async Task A_missing_word_index_file_is_named_in_the_error()
    {
        var archive = ImdbFixtures.WriteArchive(_temp.Combine("fixture.tar.gz"));
        var missing = _temp.Combine("no_word_index.json");

        var error = await Assert.ThrowsAsync<DataSourceException>(() => Load(archive, missing));

        Assert.Contains(missing, error.Message);
    }

    [Theory]
    [InlineData("aclImdb/train/pos/12_8.txt", true)]
    [InlineData("./aclImdb/test/neg/0_1.txt", true)]
    [InlineData("aclImdb/train/unsup/12_0.txt", false)]
    [InlineData("aclImdb/train/urls_pos.txt", false)]
    [InlineData("aclImdb/train/pos/12.txt", false)]
    [InlineData("aclImdb/train/pos/12_8.txt.bak", false)]
    [InlineData("aclImdb/train/pos/-1_8.txt", false)]
    public void Only_labelled_review_paths_are_recognized(string entryName, bool recognized)
    {
        Assert.Equal(recognized, ImdbSource.TryParseLocation(entryName, out _, out _, out _, out _));
    }
}
