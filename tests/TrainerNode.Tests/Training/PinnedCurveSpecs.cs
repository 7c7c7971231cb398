using GridSweep.Messages.Sweeps;
using GridSweep.TrainerNode.Training;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Tests.Training;

/// <summary>
/// The IMDB-shaped curve, exactly as the binary-only classifier computed it (measured at 0a5a981, before the
/// network took other tasks and activations): generalizing the network must not move a single bit of it.
/// </summary>
public sealed class PinnedCurveSpecs
{
    [Theory]
    [InlineData(InputLayer.Sparse, new[] { 0.8427375108003616, 0.04865252319723368, 0.6823720932006836, 0.48779296875, 0.5615234375,
        0.7746029645204544, 0.048732316587120295, 0.6748872399330139, 0.5400390625, 0.5927734375,
        0.7367946654558182, 0.0488280039280653, 0.6696518659591675, 0.54833984375, 0.599609375 })]
    [InlineData(InputLayer.Dense, new[] { 0.8427374958992004, 0.0486525222659111, 0.6823717355728149, 0.48779296875, 0.5615234375,
        0.7746029496192932, 0.04873231705278158, 0.6748872995376587, 0.5400390625, 0.5927734375,
        0.7367947101593018, 0.0488280039280653, 0.6696525812149048, 0.54833984375, 0.599609375 })]
    public void The_binary_review_curve_is_bit_identical_to_the_binary_only_classifier(InputLayer input, double[] expected)
    {
        var trial = TrainingFixtures.Trial(regularizer: new RegularizerSpec(L2: 0.001, Dropout: 0.5, BatchNorm: true), epochs: 3, input: input, seed: 42);
        var actual = new TrialTrainer(TrainingFixtures.Data, CPU).Train(trial).Epochs
            .SelectMany(e => new[] { e.TrainLoss, e.TrainPenalty, e.ValLoss, e.TrainAccuracy, e.ValAccuracy })
            .ToArray();
        Assert.Equal(expected, actual);
    }
}
