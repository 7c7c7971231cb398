using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Training;

/// <summary>
/// One batch: either multi-hot rows as (indices, offsets) bags, or a dense matrix (multi-hot rows or features),
/// and the labels (float, or int64 class indices for multiclass).
/// </summary>
public sealed class InputBatch : IDisposable
{
    private readonly bool kept;

    private InputBatch(Tensor? indices, Tensor? offsets, Tensor? dense, Tensor labels, bool kept)
    {
        Indices = indices;
        Offsets = offsets;
        DenseRows = dense;
        Labels = labels;
        this.kept = kept;
    }

    /// <summary>The sparse form: every bag's word indices one after another (int64).</summary>
    public Tensor? Indices { get; }

    /// <summary>The sparse form: where each bag starts in <see cref="Indices"/> (int64).</summary>
    public Tensor? Offsets { get; }

    public Tensor? DenseRows { get; }
    public Tensor Labels { get; }
    public long Count => Labels.shape[0];

    public static InputBatch Sparse(Tensor indices, Tensor offsets, Tensor labels) => new(indices, offsets, null, labels, kept: false);

    /// <summary>A batch its split keeps and hands out again (the validation batches): disposing it leaves it alone.</summary>
    internal static InputBatch KeptSparse(Tensor indices, Tensor offsets, Tensor labels) => new(indices, offsets, null, labels, kept: true);

    public static InputBatch Dense(Tensor rows, Tensor labels) => new(null, null, rows, labels, kept: false);

    public void Dispose()
    {
        if (kept)
            return;
        Indices?.Dispose();
        Offsets?.Dispose();
        DenseRows?.Dispose();
        Labels.Dispose();
    }
}
