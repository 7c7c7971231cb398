using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Training;

/// <summary>
/// One batch: either multi-hot rows as (indices, offsets) bags, or a dense matrix (multi-hot rows or features),
/// and the labels (float, or int64 class indices for multiclass).
/// </summary>
public sealed class InputBatch : IDisposable
{
    private InputBatch(long[]? wordIndices, long[]? bagOffsets, Tensor? indices, Tensor? offsets, Tensor? dense, Tensor labels)
    {
        WordIndices = wordIndices;
        BagOffsets = bagOffsets;
        Indices = indices;
        Offsets = offsets;
        DenseRows = dense;
        Labels = labels;
    }

    /// <summary>The sparse form's indices and offsets as arrays too, for the CPU gradient of the first layer.</summary>
    internal long[]? WordIndices { get; }
    internal long[]? BagOffsets { get; }
    public Tensor? Indices { get; }
    public Tensor? Offsets { get; }
    public Tensor? DenseRows { get; }
    public Tensor Labels { get; }
    public long Count => Labels.shape[0];

    public static InputBatch Sparse(long[] wordIndices, long[] bagOffsets, Tensor indices, Tensor offsets, Tensor labels) =>
        new(wordIndices, bagOffsets, indices, offsets, null, labels);

    public static InputBatch Dense(Tensor rows, Tensor labels) => new(null, null, null, null, rows, labels);

    public void Dispose()
    {
        Indices?.Dispose();
        Offsets?.Dispose();
        DenseRows?.Dispose();
        Labels.Dispose();
    }
}
