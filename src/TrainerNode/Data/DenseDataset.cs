using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;

namespace GridSweep.TrainerNode.Data;

/// <summary>A split as plain numbers: row-major features (<paramref name="Width"/> per row) and one target per row, a class index or a value.</summary>
public sealed record DenseSplit(float[] Features, int Width, float[] Targets)
{
    public int Count => Targets.Length;
}

/// <summary>
/// Images or a table read and checked, before any tensor exists (so the coordinator could read one too).
/// </summary>
/// <param name="ClassNames">Classification: what each class index stands for, in index order; empty for regression.</param>
/// <param name="Identity">The files the rows were read from, hashed as they were read.</param>
/// <param name="Preparation">How a raw image or table row became a row of <see cref="DenseSplit.Features"/>.</param>
public sealed record DenseDataset(
    DenseSplit Train,
    DenseSplit Validation,
    LearningTask Task,
    IReadOnlyList<string> ClassNames,
    string Description,
    DataIdentity Identity,
    InputPreparation? Preparation = null);
