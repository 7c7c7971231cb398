using GridSweep.TrainerNode.Data;

namespace GridSweep.TrainerNode.Tests.Data;

public sealed class SyntheticReviewsSpecs
{
    private const int NumWords = 10_000;
    private static readonly ReviewDataset Data = SyntheticReviews.Generate(5_000, 1_000, NumWords, seed: 11);

    [Fact]
    public void The_same_seed_gives_the_same_dataset()
    {
        ImdbFixtures.AssertSameData(Data, SyntheticReviews.Generate(5_000, 1_000, NumWords, seed: 11));
    }

    [Fact]
    public void Another_seed_gives_other_reviews()
    {
        var other = SyntheticReviews.Generate(5_000, 1_000, NumWords, seed: 12);

        Assert.NotEqual(Data.Train.Tokens, other.Train.Tokens);
    }

    [Fact]
    public void Splits_have_the_requested_sizes_and_balanced_labels()
    {
        Assert.Equal((5_000, 1_000), (Data.Train.Count, Data.Test.Count));
        Assert.Equal(2_500, Data.Train.Labels.Count(l => l == 1f));
        Assert.Equal(500, Data.Test.Labels.Count(l => l == 1f));
        Assert.All(Data.Train.Labels, l => Assert.True(l is 0f or 1f));
    }

    [Fact]
    public void Every_review_starts_with_1_and_has_50_to_500_words()
    {
        for (var i = 0; i < Data.Train.Count; i++)
        {
            var review = Data.Train.Review(i);
            Assert.Equal(WordIndex.Start, review[0]);
            Assert.InRange(review.Length - 1, 50, 500);
        }
    }

    [Fact]
    public void Words_are_keras_indices_below_num_words()
    {
        var words = Enumerable.Range(0, Data.Train.Count).SelectMany(i => Data.Train.Review(i)[1..].ToArray()).ToArray();

        Assert.All(words, w => Assert.True(w == WordIndex.OutOfVocabulary || w is > WordIndex.IndexFrom and < NumWords, $"index {w}"));
    }

    [Fact]
    public void A_few_percent_of_words_are_out_of_vocabulary()
    {
        var oov = Data.Train.Tokens.Count(t => t == WordIndex.OutOfVocabulary) / (double)(Data.Train.Tokens.Length - Data.Train.Count);

        Assert.InRange(oov, 0.01, 0.10);
    }

    [Fact]
    public void Word_frequencies_fall_with_rank_like_zipf()
    {
        var counts = new int[NumWords];
        foreach (var token in Data.Train.Tokens)
            counts[token]++;
        double MeanCount(int firstRank) => Enumerable.Range(firstRank + WordIndex.IndexFrom, 10).Average(i => counts[i]);

        Assert.True(MeanCount(1) > 3 * MeanCount(10));
        Assert.True(MeanCount(10) > 3 * MeanCount(100));
        Assert.True(MeanCount(100) > 3 * MeanCount(1000));
    }

    [Fact]
    public void A_word_count_classifier_fitted_on_train_predicts_test_clearly_above_chance()
    {
        // Naive Bayes over word presence: the simplest learner that can find words leaning one way.
        var positive = new double[NumWords];
        var negative = new double[NumWords];
        for (var i = 0; i < Data.Train.Count; i++)
        {
            var counts = Data.Train.Labels[i] == 1f ? positive : negative;
            foreach (var word in Data.Train.Review(i)[1..].ToArray().Distinct())
                counts[word]++;
        }
        var weights = Enumerable.Range(0, NumWords).Select(w => Math.Log((positive[w] + 1) / (negative[w] + 1))).ToArray();

        var correct = Enumerable.Range(0, Data.Test.Count).Count(i =>
        {
            var score = Data.Test.Review(i)[1..].ToArray().Distinct().Sum(w => weights[w]);
            return score > 0 == (Data.Test.Labels[i] == 1f);
        });

        Assert.InRange(correct / (double)Data.Test.Count, 0.70, 1.0);
    }
}
