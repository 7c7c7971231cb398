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
    /// <remarks>
    /// The sparse form is written straight into the tensors' memory, one copy of each review's columns: building
    /// arrays first and copying them into tensors took twice as long (0.21-0.24 s of the 512-512 net's epoch).
    /// </remarks>
    public InputBatch Batch(ReadOnlySpan<int> rows, InputLayer form, Device device)
    {
        var labelTensor = empty(rows.Length, dtype: ScalarType.Float32);
        var labels = Span<float>(labelTensor);
        for (var r = 0; r < rows.Length; r++)
            labels[r] = Labels[rows[r]];

        if (form == InputLayer.Sparse)
        {
            var offsetTensor = empty(rows.Length, dtype: ScalarType.Int64);
            var bagOffsets = Span<long>(offsetTensor);
            var total = 0;
            for (var r = 0; r < rows.Length; r++)
            {
                bagOffsets[r] = total;
                total += Offsets[rows[r] + 1] - Offsets[rows[r]];
            }
            var indexTensor = empty(total, dtype: ScalarType.Int64);
            var indices = Span<long>(indexTensor);
            for (var r = 0; r < rows.Length; r++)
            {
                var start = Offsets[rows[r]];
                Columns.AsSpan(start, Offsets[rows[r] + 1] - start).CopyTo(indices[(int)bagOffsets[r]..]);
            }
            return InputBatch.Sparse(OnDevice(indexTensor, device), OnDevice(offsetTensor, device), OnDevice(labelTensor, device));
        }

        var dense = new float[rows.Length * Width];
        for (var r = 0; r < rows.Length; r++)
        {
            var rowStart = r * Width;
            for (var k = Offsets[rows[r]]; k < Offsets[rows[r] + 1]; k++)
                dense[rowStart + Columns[k]] = 1f;
        }
        return InputBatch.Dense(tensor(dense, [rows.Length, Width], device: device), OnDevice(labelTensor, device));
    }

    private readonly Dictionary<(int Start, int Count, string Device), InputBatch> evaluationBatches = [];

    /// <summary>
    /// The sparse form keeps its validation batches, built once and handed to every epoch of every trial of the node
    /// (validation never changes; rebuilding them took 0.18 s of the 512-512 net's epoch): views into one tensor of
    /// the split's columns. The dense form builds each as a training batch.
    /// </summary>
    public InputBatch EvaluationBatch(int start, int count, InputLayer form, Device device)
    {
        if (form != InputLayer.Sparse)
            return Batch(Enumerable.Range(start, count).ToArray(), form, device);
        lock (evaluationBatches)
        {
            var key = (start, count, device.ToString());
            if (!evaluationBatches.TryGetValue(key, out var batch))
            {
                // Held for the node's lifetime, outside the dispose scope of the pass that first asks.
                var first = Offsets[start];
                var indices = tensor(Columns.AsSpan(first, Offsets[start + count] - first).ToArray(), device: device).DetachFromDisposeScope();
                var bagOffsets = new long[count];
                for (var r = 0; r < count; r++)
                    bagOffsets[r] = Offsets[start + r] - first;
                var offsets = tensor(bagOffsets, device: device).DetachFromDisposeScope();
                var labels = tensor(Labels.AsSpan(start, count).ToArray(), device: device).DetachFromDisposeScope();
                evaluationBatches[key] = batch = InputBatch.KeptSparse(indices, offsets, labels);
            }
            return batch;
        }
    }

    private static Span<T> Span<T>(Tensor tensor) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(tensor.bytes);

    private static Tensor OnDevice(Tensor cpu, Device device)
    {
        if (device.type == DeviceType.CPU)
            return cpu;
        using (cpu)
            return cpu.to(device);
    }
}
