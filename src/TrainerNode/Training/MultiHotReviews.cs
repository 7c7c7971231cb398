using GridSweep.Messages.Sweeps;
using GridSweep.TrainerNode.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Training;

/// <summary>
/// A split as multi-hot rows kept sparse: review <c>i</c> has a 1 in each column of
/// <c>Columns[Offsets[i]..Offsets[i + 1]]</c> (distinct, ascending) and 0 elsewhere, exactly the textbook's
/// <c>vectorize_sequences</c>. Built once per node and shared read-only by every trial on it.
/// </summary>
public sealed class MultiHotReviews : ITrainingSplit
{
    /// <summary>Validation rows per forward pass; the dense form builds [rows x words] floats.</summary>
    private const int EvaluationRowsSparse = 8192;
    private const int EvaluationRowsDense = 1024;

    private MultiHotReviews(long[] columns, int[] offsets, float[] labels, int width)
    {
        Columns = columns;
        Offsets = offsets;
        Labels = labels;
        Width = width;
    }

    public long[] Columns { get; }
    public int[] Offsets { get; }
    public float[] Labels { get; }
    public int Width { get; }
    public int Count => Labels.Length;

    public int EvaluationRows(InputLayer form) => form == InputLayer.Sparse ? EvaluationRowsSparse : EvaluationRowsDense;

    /// <summary>The split's multi-hot rows from its distinct words (read from the encoded cache, or built once).</summary>
    public static MultiHotReviews From(ReviewSplit split, int width) => From(split.Distinct, split.Labels, width);

    /// <summary>Built from the token lists, whatever the split holds already (a benchmark compares the two).</summary>
    internal static MultiHotReviews FromTokens(ReviewSplit split, int width) => From(DistinctWords.Of(split), split.Labels, width);

    private static MultiHotReviews From(DistinctWords distinct, float[] labels, int width)
    {
        var (words, offsets) = (distinct.Words, distinct.Offsets);
        var columns = new long[words.Length];
        for (var i = 0; i + 1 < offsets.Length; i++)
        {
            for (var k = offsets[i]; k < offsets[i + 1]; k++)
            {
                if (words[k] <= 0 || words[k] >= width)
                    throw new ArgumentOutOfRangeException(nameof(distinct), $"review {i} has index {words[k]}, outside 1..{width - 1}");
                columns[k] = words[k];
            }
        }
        return new MultiHotReviews(columns, (int[])distinct.Offsets.Clone(), (float[])labels.Clone(), width);
    }

    /// <summary>Builds the batch of the given rows in the form the input layer needs, on the device.</summary>
    public InputBatch Batch(ReadOnlySpan<int> rows, InputLayer form, Device device)
    {
        var labels = new float[rows.Length];
        for (var r = 0; r < rows.Length; r++)
            labels[r] = Labels[rows[r]];
        var labelTensor = tensor(labels, device: device);

        if (form == InputLayer.Sparse)
        {
            var bagOffsets = new long[rows.Length];
            var total = 0;
            for (var r = 0; r < rows.Length; r++)
            {
                bagOffsets[r] = total;
                total += Offsets[rows[r] + 1] - Offsets[rows[r]];
            }
            var indices = new long[total];
            for (var r = 0; r < rows.Length; r++)
            {
                var start = Offsets[rows[r]];
                Columns.AsSpan(start, Offsets[rows[r] + 1] - start).CopyTo(indices.AsSpan((int)bagOffsets[r]));
            }
            return InputBatch.Sparse(indices, bagOffsets, tensor(indices, device: device), tensor(bagOffsets, device: device), labelTensor);
        }

        var dense = new float[rows.Length * Width];
        for (var r = 0; r < rows.Length; r++)
        {
            var rowStart = r * Width;
            for (var k = Offsets[rows[r]]; k < Offsets[rows[r] + 1]; k++)
                dense[rowStart + Columns[k]] = 1f;
        }
        return InputBatch.Dense(tensor(dense, [rows.Length, Width], device: device), labelTensor);
    }
}
