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
}

/// <summary>The IMDB study's data: train split for fitting, test split for validation.</summary>
/// <param name="Identity">The files the reviews were read and ranked from, hashed as they were read.</param>
/// <param name="Preparation">How a review's text became its indices (the vocabulary); null for made-up reviews.</param>
public sealed record ReviewDataset(ReviewSplit Train, ReviewSplit Test, int NumWords, string Description, DataIdentity Identity,
    MultiHotWords? Preparation = null);
