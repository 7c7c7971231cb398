using System.Globalization;
using System.Text;
using GridSweep.Messages.Protocol;

namespace GridSweep.TrainerNode.Data;

/// <summary>
/// IMDB-shaped reviews for tests and benchmarks that cannot wait for the real data: Zipf-like word frequencies,
/// 50 to 500 words per review, the Keras encoding (1 first, some 2s), and a learnable signal: a few hundred words
/// lean positive and as many lean negative. The same arguments always give the same dataset.
/// </summary>
public static class SyntheticReviews
{
    public const int MinNumWords = 16;

    private const int MinLength = 50;
    private const int MaxLength = 500;
    private const double OutOfVocabularyRate = 0.04;
    private const double SentimentRate = 0.06;
    // How often a sentiment word agrees with the label: high enough to learn, low enough that reviews can mislead.
    private const double SentimentAgreement = 0.75;
    private const int MaxSentimentWords = 200;
    private const int ChunkSize = 512;

    public static ReviewDataset Generate(int trainCount, int testCount, int numWords, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trainCount);
        ArgumentOutOfRangeException.ThrowIfNegative(testCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(numWords, MinNumWords);

        var vocabulary = new Vocabulary(numWords, seed);
        var train = GenerateSplit(trainCount, vocabulary, seed, split: 0);
        var test = GenerateSplit(testCount, vocabulary, seed, split: 1);
        var description = string.Create(CultureInfo.InvariantCulture,
            $"synthetic IMDB-shaped reviews (seed {seed}): {trainCount} train / {testCount} test, {numWords} words");
        // No file: the identity is that of the generator's arguments, which fix every review.
        var arguments = string.Create(CultureInfo.InvariantCulture, $"synthetic-reviews train={trainCount} test={testCount} num_words={numWords} seed={seed}");
        var identity = new DataIdentity([SourceDigest.Of(Encoding.UTF8.GetBytes(arguments)).As(DataRoles.Synthetic, $"seed-{seed}") with { Bytes = 0 }]);
        return new ReviewDataset(train, test, numWords, description, identity);
    }

    /// <summary>Negatives first, then positives, as the real splits are ordered.</summary>
    private static ReviewSplit GenerateSplit(int count, Vocabulary vocabulary, int seed, int split)
    {
        var labels = new float[count];
        var offsets = new int[count + 1];
        for (var i = 0; i < count; i++)
        {
            labels[i] = i < count / 2 ? 0f : 1f;
            var random = ReviewRandom(seed, split, i);
            offsets[i + 1] = checked(offsets[i] + 1 + NextLength(ref random));
        }

        var tokens = new int[offsets[^1]];
        // Each review has its own generator, so the result does not depend on how the work is split across cores.
        Chunked.For(count, ChunkSize, CancellationToken.None, static () => 0, (start, end, _) =>
        {
            for (var i = start; i < end; i++)
            {
                var random = ReviewRandom(seed, split, i);
                var review = tokens.AsSpan(offsets[i], 1 + NextLength(ref random));
                review[0] = WordIndex.Start;
                for (var t = 1; t < review.Length; t++)
                    review[t] = vocabulary.NextWord(ref random, positive: labels[i] == 1f);
            }
        });
        return new ReviewSplit(labels, offsets, tokens);
    }

    private static SplitMix64 ReviewRandom(int seed, int split, int review) =>
        new(((ulong)(uint)seed << 32) ^ ((ulong)split << 31) ^ (uint)review);

    // Log-uniform between 50 and 500, skewed to short reviews like the real ones.
    private static int NextLength(ref SplitMix64 random) =>
        (int)(MinLength * Math.Pow((double)MaxLength / MinLength, random.NextDouble()));

    private sealed class Vocabulary
    {
        private readonly int _ranks;
        private readonly int[] _positive;
        private readonly int[] _negative;

        public Vocabulary(int numWords, int seed)
        {
            // Ranks whose index (rank + 3) stays below numWords.
            _ranks = numWords - WordIndex.IndexFrom - 1;
            var perSide = Math.Clamp(_ranks / 8, 1, MaxSentimentWords);
            // Sentiment words come from below the most frequent few, like "great" and "worst" rather than "the".
            var first = Math.Min(30, _ranks / 4) + 1;
            var pool = Enumerable.Range(first, Math.Min(_ranks, 3000) - first + 1).ToArray();
            var random = new SplitMix64(~(ulong)(uint)seed);
            for (var i = pool.Length - 1; i > 0; i--)
            {
                var j = (int)(random.Next() % (ulong)(i + 1));
                (pool[i], pool[j]) = (pool[j], pool[i]);
            }
            _positive = pool[..perSide];
            _negative = pool[perSide..(2 * perSide)];
        }

        public int NextWord(ref SplitMix64 random, bool positive)
        {
            var draw = random.NextDouble();
            if (draw < OutOfVocabularyRate)
                return WordIndex.OutOfVocabulary;
            if (draw < OutOfVocabularyRate + SentimentRate)
            {
                var agrees = random.NextDouble() < SentimentAgreement;
                var side = agrees == positive ? _positive : _negative;
                return side[(int)(random.Next() % (ulong)side.Length)] + WordIndex.IndexFrom;
            }
            // Continuous Zipf (density 1/x) rounded down: rank r has probability about 1 / (r ln ranks).
            var rank = (int)Math.Pow(_ranks + 1, random.NextDouble());
            return Math.Min(rank, _ranks) + WordIndex.IndexFrom;
        }
    }

    /// <summary>Small, fast and fully specified, so datasets do not change with the .NET version.</summary>
    private struct SplitMix64(ulong state)
    {
        private ulong _state = state;

        public ulong Next()
        {
            var z = _state += 0x9E3779B97F4A7C15;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return z ^ (z >> 31);
        }

        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
    }
}
