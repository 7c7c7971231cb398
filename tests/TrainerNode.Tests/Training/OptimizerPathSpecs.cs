using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TrainerNode.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Tests.Training;

/// <summary>
/// On CPU, Adam runs as one fused loop (<see cref="FusedCpu"/>); on a GPU it runs as tensor ops. Only the CPU
/// path is exercised by ordinary training on this machine, so these specs run the tensor-op path on CPU too
/// and hold the two against each other. (SGD and RMSprop have no fused form: they run tensor ops everywhere.)
/// </summary>
/// <remarks>
/// Tolerance. Both paths compute the same float32 formula; they differ only in rounding: ATen may fuse a
/// multiply-add (one rounding instead of two) and multiplies <c>addcmul</c>'s factors in another order. Each
/// update thus differs by a few float32 ulps of the update itself (relative 1e-6 at most), and rounding the
/// parameter after subtracting it can then differ by one ulp of the parameter. Over <c>n</c> steps the paths
/// may drift apart by up to <c>n</c> such amounts, never more, since Adam's moments contract (beta &lt; 1)
/// rather than amplify a difference. Hence, per element: <c>n * (ulp(p) + 1e-6 * lr)</c>, about 2.5e-6 for a
/// parameter near 1 after 20 steps, 5e-9 for one near 0.001. A real difference in the formula (epsilon inside
/// the root, a missing bias correction, a beta swapped) moves parameters by a sizeable part of <c>lr</c> per step,
/// far outside it. So did a subtler one this spec found: the fused loop took 1 - beta2 after rounding beta2 to
/// float (1 - 0.999f = 0.00099998713, not 0.001), which put small parameters up to 300 ulps apart in 20 steps.
/// </remarks>
public sealed class OptimizerPathSpecs(ITestOutputHelper output)
{
    private const int Steps = 20;
    private const double LearningRate = 0.01;

    /// <summary>Gradients over eleven orders of magnitude, signs mixed, some exactly zero: epsilon matters for the tiny ones.</summary>
    private static Tensor Gradient(int length, int step)
    {
        var random = new Random(1000 + step);
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            var draw = random.NextDouble();
            values[i] = draw < 0.05 ? 0f : (float)((random.Next(2) * 2 - 1) * Math.Pow(10, -9 + 11 * random.NextDouble()));
        }
        return tensor(values);
    }

    private static float Tolerance(float parameter) =>
        Steps * (MathF.BitIncrement(MathF.Abs(parameter)) - MathF.Abs(parameter) + 1e-6f * (float)LearningRate);

    [Theory]
    [InlineData(3)] // Shorter than one vector: the scalar tail only.
    [InlineData(1_003)] // Whole vectors plus a tail.
    [InlineData(100_003)] // Above the parallel threshold: chunks on every core, the last with a tail.
    public void Adam_takes_the_same_steps_as_tensor_ops_and_as_the_fused_cpu_loop(int length)
    {
        var spec = new OptimizerSpec("adam", LearningRate);
        using var generator = new Generator(7);
        using var initial = randn(length, generator: generator);
        using var fusedParameter = initial.clone().requires_grad_();
        using var tensorParameter = initial.clone().requires_grad_();
        using var fused = KerasOptimizer.Create(spec, [fusedParameter], useTensorOps: false);
        using var tensorOps = KerasOptimizer.Create(spec, [tensorParameter], useTensorOps: true);

        for (var step = 1; step <= Steps; step++)
        {
            using var gradient = Gradient(length, step);
            Assert.True(FusedCpu.Applies(fusedParameter, gradient), "the fused loop must apply, or both sides run tensor ops");
            fusedParameter.grad = gradient.clone();
            tensorParameter.grad = gradient.clone();
            fused.Step();
            tensorOps.Step();
        }

        var start = initial.data<float>().ToArray();
        var a = fusedParameter.data<float>().ToArray();
        var b = tensorParameter.data<float>().ToArray();
        var worst = Enumerable.Range(0, length).MaxBy(i => Math.Abs(a[i] - b[i]) / Tolerance(b[i]));
        output.WriteLine($"largest difference {Math.Abs(a[worst] - b[worst]):E2} at {b[worst]} (tolerance {Tolerance(b[worst]):E2}); " +
                         $"elements differing: {Enumerable.Range(0, length).Count(i => a[i] != b[i])} of {length}");
        for (var i = 0; i < length; i++)
            Assert.True(Math.Abs(a[i] - b[i]) <= Tolerance(b[i]), $"element {i}: fused {a[i]} vs tensor ops {b[i]}, started at {start[i]}");

        // The comparison means something only if the steps moved the parameters well beyond the tolerance.
        var moved = Enumerable.Range(0, length).Where(i => Math.Abs(a[i] - start[i]) > 100 * Tolerance(start[i])).Count();
        Assert.True(moved >= length * 0.9, $"only {moved} of {length} parameters moved clearly");
    }

    [Fact]
    public void Training_with_tensor_op_adam_follows_the_fused_curve()
    {
        var trial = TrainingFixtures.Trial(optimizer: new OptimizerSpec("adam", LearningRate), epochs: 4);
        var fused = new TrialTrainer(TrainingFixtures.Data, CPU).Train(trial).Epochs;
        var tensorOps = new TrialTrainer(TrainingFixtures.Data, CPU) { UseTensorOps = true }.Train(trial).Epochs;

        foreach (var (f, t) in fused.Zip(tensorOps))
        {
            output.WriteLine($"epoch {f.Epoch}: train loss {f.TrainLoss:R} / {t.TrainLoss:R}, val loss {f.ValLoss:R} / {t.ValLoss:R}, " +
                             $"val accuracy {f.ValAccuracy:R} / {t.ValAccuracy:R}");
        }
        // Measured: the curves agree to about 2e-7 over these 32 steps; with 1 - beta2 rounded as described above
        // the validation loss was 5e-6 apart by epoch 4. 1e-6 tells the two apart with room for rounding.
        Assert.Equal(4, tensorOps.Count);
        Assert.All(fused.Zip(tensorOps), pair =>
        {
            Assert.Equal(pair.First.TrainLoss, pair.Second.TrainLoss, 1e-6);
            Assert.Equal(pair.First.ValLoss, pair.Second.ValLoss, 1e-6);
            // A review whose logit sits within rounding of zero may flip: one review at most.
            Assert.InRange(Math.Abs(pair.First.ValAccuracy - pair.Second.ValAccuracy), 0, 1.0 / TrainingFixtures.Data.Validation.Count);
        });
        Assert.True(fused[^1].TrainLoss < fused[0].TrainLoss / 4, "the run must train, or equal curves show little");
    }
}
