using GridSweep.TrainerNode.Data;

namespace GridSweep.TrainerNode.Tests.Data;

public sealed class WordIndexSpecs
{
    [Fact]
    public void Frequency_ranks_put_the_most_frequent_word_first()
    {
        var index = WordIndex.FromFrequencies(["film the the", "the film great"]);

        Assert.Equal(1, index.RankOf("the"));
        Assert.Equal(2, index.RankOf("film"));
        Assert.Equal(3, index.RankOf("great"));
    }

    [Fact]
    public void Frequency_ties_are_ranked_in_ordinal_string_order()
    {
        var index = WordIndex.FromFrequencies(["zeta beta Alpha", "beta zeta", "alpha gamma"]);

        // alpha, beta and zeta occur twice ("Alpha" lower-cases to "alpha"), gamma once.
        Assert.Equal([1, 2, 3, 4], new[] { "alpha", "beta", "zeta", "gamma" }.Select(w => index.RankOf(w)));
    }

    [Fact]
    public void Frequency_ranks_do_not_depend_on_how_the_reviews_are_split_across_threads()
    {
        var random = new Random(7);
        var words = Enumerable.Range(0, 300).Select(i => $"w{i}").ToArray();
        var texts = Enumerable.Range(0, 5000)
            .Select(_ => string.Join(' ', Enumerable.Range(0, 20).Select(_ => words[random.Next(words.Length)])))
            .ToArray();

        var expected = texts.SelectMany(t => t.Split(' '))
            .GroupBy(w => w)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key)
            .ToArray();
        var index = WordIndex.FromFrequencies(texts);

        Assert.Equal(Enumerable.Range(1, expected.Length), expected.Select(w => index.RankOf(w)));
    }

    [Fact]
    public void A_keras_json_word_index_is_loaded_as_is()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("imdb_word_index.json");
        File.WriteAllText(path, """{"the": 1, "and": 2, "don't": 3, "amélie": 40}""");

        var index = WordIndex.LoadKeras(path);

        Assert.Equal(4, index.Count);
        Assert.Equal([1, 2, 3, 40, 0], new[] { "the", "and", "don't", "amélie", "unknown" }.Select(w => index.RankOf(w)));
        Assert.Equal("keras word index", index.Origin);
    }

    [Fact]
    public void A_missing_word_index_file_names_its_path()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("missing.json");

        var error = Assert.Throws<DataSourceException>(() => WordIndex.LoadKeras(path));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_word_index_that_is_not_word_rank_json_names_its_path()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("imdb_word_index.json");
        File.WriteAllText(path, """["the", "and"]""");

        var error = Assert.Throws<DataSourceException>(() => WordIndex.LoadKeras(path));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Encoding_starts_with_1_and_shifts_ranks_by_3()
    {
        var index = WordIndex.FromFrequencies(["the the the movie movie great"]);

        Assert.Equal([1, 4, 5, 6], index.Encode("The movie, great!", numWords: 100));
    }

    [Fact]
    public void Words_missing_from_the_index_encode_as_2()
    {
        var index = WordIndex.FromFrequencies(["the the movie"]);

        Assert.Equal([1, 4, 2, 5], index.Encode("the unseen movie", numWords: 100));
    }

    [Fact]
    public void Words_whose_index_reaches_num_words_encode_as_2()
    {
        // Ranks 1..4 give indices 4..7; with num_words 6 only indices 4 and 5 survive.
        var index = WordIndex.FromFrequencies(["a a a a b b b c c d"]);

        Assert.Equal([1, 4, 5, 2, 2], index.Encode("a b c d", numWords: 6));
    }

    [Fact]
    public void An_empty_review_encodes_as_the_start_index_alone()
    {
        var index = WordIndex.FromFrequencies(["word"]);

        Assert.Equal([1], index.Encode("<br /> ...", numWords: 100));
    }
}
