using GridSweep.Messages.Sweeps;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Training;

namespace GridSweep.TrainerNode.Tests.Training;

/// <summary>Small IMDB-shaped data and trial specs for fast training tests.</summary>
internal static class TrainingFixtures
{
    public const int Words = 2000;

    private static readonly Lazy<TrainingData> Synthetic = new(() =>
        TrainingData.From(SyntheticReviews.Generate(trainCount: 2048, testCount: 1024, numWords: Words, seed: 7)));

    public static TrainingData Data => Synthetic.Value;

    public static TrialSpec Trial(
        int[]? hidden = null,
        RegularizerSpec? regularizer = null,
        OptimizerSpec? optimizer = null,
        long seed = 1,
        int epochs = 3,
        InputLayer input = InputLayer.Sparse) =>
        new("test", "test", "model", "regularizer", "adam", seed,
            new ModelSpec(hidden ?? [16, 16]), regularizer ?? RegularizerSpec.None, optimizer ?? new OptimizerSpec("adam", 0.001),
            epochs, 256, input, new DatasetSpec("imdb", Words));
}
