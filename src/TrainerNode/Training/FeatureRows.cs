using GridSweep.Messages.Sweeps;
using TorchSharp;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Training;

/// <summary>
/// A split as a dense float matrix with one target per row: a class index or a value. Images and tables take
/// this form; the input layer setting does not apply to them (there is nothing sparse to exploit).
/// The whole split lives in one CPU tensor and a batch is one native gather (<c>index_select</c>), as a PyTorch
/// user indexes <c>x_train[rows]</c>: copying each batch's rows into a new managed array first cost 80% of a
/// small Fashion-MNIST net's epoch (1.46 of 1.82 s, measured with bench/'s fashion models on one thread).
/// </summary>
public sealed class FeatureRows : ITrainingSplit, IDisposable
{
    /// <summary>Floats per validation pass: about 40 MB, the IMDB dense pass's size.</summary>
    private const int EvaluationFloats = 10_240_000;

    private readonly Tensor features;
    private readonly Tensor targets;

    /// <param name="features">Row-major: <c>features[i * width .. (i + 1) * width]</c> is row <c>i</c>.</param>
    /// <param name="classIndices">The targets are class indices (multiclass): batches carry them as int64, as the loss wants.</param>
    public FeatureRows(float[] features, int width, float[] targets, bool classIndices)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (features.Length != (long)targets.Length * width)
            throw new ArgumentException($"{features.Length} features do not make {targets.Length} rows of {width}");
        Width = width;
        Count = targets.Length;
        // Held for the node's lifetime, across the dispose scopes of the batches that gather from them.
        this.features = tensor(features, [targets.Length, width]).DetachFromDisposeScope();
        this.targets = classIndices
            ? tensor(Array.ConvertAll(targets, t => (long)t)).DetachFromDisposeScope()
            : tensor(targets).DetachFromDisposeScope();
    }

    public int Width { get; }
    public int Count { get; }

    public int EvaluationRows(InputLayer form) => Math.Max(1024, EvaluationFloats / Width);

    public InputBatch Batch(ReadOnlySpan<int> rows, InputLayer form, Device device)
    {
        var indices = new long[rows.Length];
        for (var r = 0; r < rows.Length; r++)
            indices[r] = rows[r];
        using var index = tensor(indices);
        var batchFeatures = features.index_select(0, index);
        var batchTargets = targets.index_select(0, index);
        if (device.type != DeviceType.CPU)
        {
            using (batchFeatures)
            using (batchTargets)
                return InputBatch.Dense(batchFeatures.to(device), batchTargets.to(device));
        }
        return InputBatch.Dense(batchFeatures, batchTargets);
    }

    public void Dispose()
    {
        features.Dispose();
        targets.Dispose();
    }
}
