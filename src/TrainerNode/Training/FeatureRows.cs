using GridSweep.Messages.Sweeps;
using TorchSharp;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Training;

/// <summary>
/// A split as a dense float matrix, row-major (<c>Features[i * Width .. (i + 1) * Width]</c> is row <c>i</c>),
/// with one target per row: a class index or a value. Images and tables take this form; the input layer
/// setting does not apply to them (there is nothing sparse to exploit).
/// </summary>
public sealed class FeatureRows : ITrainingSplit
{
    /// <summary>Floats per validation pass: about 40 MB, the IMDB dense pass's size.</summary>
    private const int EvaluationFloats = 10_240_000;

    /// <param name="classIndices">The targets are class indices (multiclass): batches carry them as int64, as the loss wants.</param>
    public FeatureRows(float[] features, int width, float[] targets, bool classIndices)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (features.Length != (long)targets.Length * width)
            throw new ArgumentException($"{features.Length} features do not make {targets.Length} rows of {width}");
        Features = features;
        Width = width;
        Targets = targets;
        ClassIndices = classIndices;
    }

    public float[] Features { get; }
    public float[] Targets { get; }
    public bool ClassIndices { get; }
    public int Width { get; }
    public int Count => Targets.Length;

    public ReadOnlySpan<float> Row(int row) => Features.AsSpan(row * Width, Width);

    public int EvaluationRows(InputLayer form) => Math.Max(1024, EvaluationFloats / Width);

    public InputBatch Batch(ReadOnlySpan<int> rows, InputLayer form, Device device)
    {
        var matrix = new float[rows.Length * Width];
        for (var r = 0; r < rows.Length; r++)
            Row(rows[r]).CopyTo(matrix.AsSpan(r * Width, Width));
        Tensor labels;
        if (ClassIndices)
        {
            var classes = new long[rows.Length];
            for (var r = 0; r < rows.Length; r++)
                classes[r] = (long)Targets[rows[r]];
            labels = tensor(classes, device: device);
        }
        else
        {
            var values = new float[rows.Length];
            for (var r = 0; r < rows.Length; r++)
                values[r] = Targets[rows[r]];
            labels = tensor(values, device: device);
        }
        return InputBatch.Dense(tensor(matrix, [rows.Length, Width], device: device), labels);
    }
}
