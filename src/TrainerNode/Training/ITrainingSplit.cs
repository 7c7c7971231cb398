using GridSweep.Messages.Sweeps;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Training;

/// <summary>A train or validation split in memory, shared read-only by every trial of a node.</summary>
public interface ITrainingSplit
{
    /// <summary>Rows (samples).</summary>
    int Count { get; }

    /// <summary>Inputs per row: the vocabulary size of multi-hot rows, the number of features of a table or image.</summary>
    int Width { get; }

    /// <summary>The given rows and their labels as one batch on the device, in the form the input layer takes.</summary>
    InputBatch Batch(ReadOnlySpan<int> rows, InputLayer form, Device device);

    /// <summary>
    /// Rows <c>[start, start + count)</c> as a validation batch. The split may keep it and hand it out again: the caller
    /// disposes it as any batch, which leaves a kept one alone.
    /// </summary>
    InputBatch EvaluationBatch(int start, int count, InputLayer form, Device device) =>
        Batch(Enumerable.Range(start, count).ToArray(), form, device);

    /// <summary>Rows per forward pass when validating: as many as fit a bounded amount of memory.</summary>
    int EvaluationRows(InputLayer form);
}
