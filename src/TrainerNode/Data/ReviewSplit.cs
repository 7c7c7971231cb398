using GridSweep.Messages.Protocol;

namespace GridSweep.TrainerNode.Data;

/// <summary>
/// Reviews encoded Keras-style as index sequences, stored flat: review <c>i</c> is
/// <c>Tokens[Offsets[i]..Offsets[i + 1]]</c>. Index 1 starts every review, 2 is out-of-vocabulary,
/// a word is its frequency rank + 3, and every index is below the dataset's <c>NumWords</c>.
/// </summary>
public sealed class ReviewSplit
{
    public ReviewSplit(float[] labels, int[] offsets, int[] tokens)
    {
        if (offsets.Length != labels.Length + 1)
            throw new ArgumentException($"offsets has {offsets.Length} entries for {labels.Length} reviews; expected {labels.Length + 1}");
        if (offsets[^1] != tokens.Length)
            throw new ArgumentException($"offsets end at {offsets[^1]} but there are {tokens.Length} tokens");
        Labels = labels;
        Offsets = offsets;
        Tokens = tokens;
    }

    /// <summary>1 for a positive review, 0 for a negative one.</summary>
    public float[] Labels { get; }
    public int[] Offsets { get; }
    public int[] Tokens { get; }
    public int Count => Labels.Length;

    public ReadOnlySpan<int> Review(int index) => Tokens.AsSpan(Offsets[index], Offsets[index + 1] - Offsets[index]);

    private DistinctWords? distinct;

    /// <summary>
    /// Each review's distinct indices, ascending: the columns of its multi-hot row. Built once from the tokens, or
    /// given by the encoded cache (<see cref="WithDistinct"/>), which stores them so a node start need not build them.
    /// </summary>
    public DistinctWords Distinct => distinct ??= DistinctWords.Of(this);

    /// <summary>This split with its distinct words already known (read from the cache).</summary>
    internal ReviewSplit WithDistinct(DistinctWords words)
    {
        if (words.Offsets.Length != Offsets.Length)
            throw new ArgumentException($"distinct words for {words.Offsets.Length - 1} reviews; the split has {Count}");
        distinct = words;
        return this;
    }
}

/// <summary>
/// The distinct indices of each review of a split, ascending, stored flat: review <c>i</c>'s are
/// <c>Words[Offsets[i]..Offsets[i + 1]]</c>.
/// </summary>
public sealed class DistinctWords
{
    public DistinctWords(int[] offsets, int[] words)
    {
        if (offsets.Length == 0 || offsets[0] != 0 || offsets[^1] != words.Length)
            throw new ArgumentException($"offsets must run from 0 to the {words.Length} words");
        Offsets = offsets;
        Words = words;
    }

    public int[] Offsets { get; }
    public int[] Words { get; }

    public ReadOnlySpan<int> Review(int index) => Words.AsSpan(Offsets[index], Offsets[index + 1] - Offsets[index]);

    /// <summary>Sorts each review's tokens and drops repeats, on all cores but one (see <see cref="Chunked.Workers"/>).</summary>
    public static DistinctWords Of(ReviewSplit split)
    {
        var counts = new int[split.Count];
        var sorted = new int[split.Tokens.Length];
        Chunked.For(split.Count, 256, CancellationToken.None, static () => 0, (start, end, _) =>
        {
            for (var i = start; i < end; i++)
            {
                var review = sorted.AsSpan(split.Offsets[i], split.Offsets[i + 1] - split.Offsets[i]);
                split.Review(i).CopyTo(review);
                review.Sort();
                var kept = 0;
                for (var k = 0; k < review.Length; k++)
                {
                    if (kept == 0 || review[k] != review[kept - 1])
                        review[kept++] = review[k];
                }
                counts[i] = kept;
            }
        });
        var offsets = new int[split.Count + 1];
        for (var i = 0; i < split.Count; i++)
            offsets[i + 1] = offsets[i] + counts[i];
        var words = new int[offsets[^1]];
        for (var i = 0; i < split.Count; i++)
            sorted.AsSpan(split.Offsets[i], counts[i]).CopyTo(words.AsSpan(offsets[i]));
        return new DistinctWords(offsets, words);
    }
}

/// <summary>The IMDB study's data: train split for fitting, test split for validation.</summary>
/// <param name="Identity">The files the reviews were read and ranked from, hashed as they were read.</param>
/// <param name="Preparation">How a review's text became its indices (the vocabulary); null for made-up reviews.</param>
public sealed record ReviewDataset(ReviewSplit Train, ReviewSplit Test, int NumWords, string Description, DataIdentity Identity,
    MultiHotWords? Preparation = null);
