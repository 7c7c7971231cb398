using GridSweep.Messages.Sweeps;
using TorchSharp;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Training;

/// <summary>
/// Optimizers in Keras's form (Keras's epsilon placement and defaults), written here rather than taken from
/// torch.optim: TorchSharp 0.107's built-in Adam.step() passes temporary Scalars to native code and can crash
/// under garbage collection, and its epsilon sits inside a different expression.
/// Every Scalar below is a <c>using</c> local, alive until its native calls return.
/// </summary>
public abstract class KerasOptimizer : IDisposable
{
    private readonly IReadOnlyList<Tensor> parameters;
    private readonly List<Tensor> state = [];

    protected KerasOptimizer(IEnumerable<Tensor> parameters) => this.parameters = parameters.ToList();

    public static KerasOptimizer Create(OptimizerSpec spec, IEnumerable<Tensor> parameters) => Create(spec, parameters, useTensorOps: false);

    /// <summary>Tests pass <paramref name="useTensorOps"/> to run the GPU's tensor-op form on CPU too.</summary>
    internal static KerasOptimizer Create(OptimizerSpec spec, IEnumerable<Tensor> parameters, bool useTensorOps) => spec.Name switch
    {
        "adam" => new KerasAdam(parameters, spec) { UseTensorOps = useTensorOps },
        "sgd" => new KerasSgd(parameters, spec),
        "rmsprop" => new KerasRmsProp(parameters, spec),
        _ => throw new ArgumentException($"optimizer '{spec.Name}' is not known; allowed: adam, sgd, rmsprop"),
    };

    /// <summary>Number of steps taken.</summary>
    public long Iterations { get; private set; }

    /// <summary>The optimizer's moments and velocities by slot, for a checkpoint; with <see cref="Iterations"/> its whole state.</summary>
    public IEnumerable<(int Slot, Tensor Tensor)> Slots() =>
        state.Select((tensor, slot) => (slot, tensor)).Where(pair => pair.tensor is not null);

    /// <summary>Continues from a checkpoint: the slots <see cref="Slots"/> gave, copied in, and the steps taken so far.</summary>
    public void Restore(IReadOnlyDictionary<int, Tensor> slots, long iterations)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        using var guard = no_grad();
        foreach (var (slot, saved) in slots)
        {
            var parameter = parameters[slot / 2];
            if (!saved.shape.SequenceEqual(parameter.shape))
                throw new InvalidDataException($"optimizer slot {slot} has shape [{string.Join(", ", saved.shape)}], its parameter [{string.Join(", ", parameter.shape)}]");
            Slot(slot / 2, slot % 2, parameter).copy_(saved);
        }
        Iterations = iterations;
    }

    /// <summary>Drops the gradients (PyTorch's set_to_none): backward then writes fresh ones instead of adding to zeros.</summary>
    public void ZeroGrad()
    {
        foreach (var p in parameters)
            p.grad = null;
    }

    public void Step()
    {
        Iterations++;
        using var guard = no_grad();
        BeginStep(Iterations);
        for (var i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].grad is { } gradient)
                Update(i, parameters[i], gradient);
        }
        EndStep();
    }

    protected abstract void BeginStep(long iteration);
    protected abstract void Update(int index, Tensor parameter, Tensor gradient);
    protected virtual void EndStep() { }

    /// <summary>A zero-initialized slot (moment, velocity) per parameter, created on first use.</summary>
    protected Tensor Slot(int parameterIndex, int slot, Tensor like)
    {
        var key = parameterIndex * 2 + slot;
        while (state.Count <= key)
            state.Add(null!);
        // Optimizer state outlives the per-batch dispose scope it is first created in.
        return state[key] ??= zeros_like(like).DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (var tensor in state)
            tensor?.Dispose();
        state.Clear();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// Keras Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps).
/// </summary>
public sealed class KerasAdam(IEnumerable<Tensor> parameters, OptimizerSpec spec) : KerasOptimizer(parameters)
{
    private Scalar? b1, oneMinusB1, b2, oneMinusB2, epsilon, negativeStep;
    private double stepSize;

    /// <summary>Tests set this to compare the fused CPU loop with the tensor-op form used on GPUs.</summary>
    internal bool UseTensorOps { get; init; }

    protected override void BeginStep(long iteration)
    {
        stepSize = spec.LearningRate * Math.Sqrt(1 - Math.Pow(spec.Beta2, iteration)) / (1 - Math.Pow(spec.Beta1, iteration));
        b1 = spec.Beta1.ToScalar();
        oneMinusB1 = (1 - spec.Beta1).ToScalar();
        b2 = spec.Beta2.ToScalar();
        oneMinusB2 = (1 - spec.Beta2).ToScalar();
        epsilon = spec.Epsilon.ToScalar();
        negativeStep = (-stepSize).ToScalar();
    }

    protected override void Update(int index, Tensor parameter, Tensor gradient)
    {
        var m = Slot(index, 0, parameter);
        var v = Slot(index, 1, parameter);
        if (!UseTensorOps && FusedCpu.Applies(parameter, gradient))
        {
            FusedCpu.Adam(parameter, gradient, m, v, spec.Beta1, spec.Beta2, (float)spec.Epsilon, (float)stepSize);
            return;
        }
        m.mul_(b1!).add_(gradient, oneMinusB1!);
        v.mul_(b2!).addcmul_(gradient, gradient, oneMinusB2!);
        using var denominator = v.sqrt();
        denominator.add_(epsilon!);
        parameter.addcdiv_(m, denominator, negativeStep!);
    }

    protected override void EndStep()
    {
        // Disposed only after every native call of the step has returned.
        foreach (var scalar in new[] { b1, oneMinusB1, b2, oneMinusB2, epsilon, negativeStep })
            scalar?.Dispose();
    }
}

/// <summary>Keras SGD: velocity = momentum * velocity - lr * g; p += velocity (plain p -= lr g without momentum).</summary>
public sealed class KerasSgd(IEnumerable<Tensor> parameters, OptimizerSpec spec) : KerasOptimizer(parameters)
{
    private Scalar? momentum, negativeLearningRate;

    protected override void BeginStep(long iteration)
    {
        momentum = spec.Momentum.ToScalar();
        negativeLearningRate = (-spec.LearningRate).ToScalar();
    }

    protected override void Update(int index, Tensor parameter, Tensor gradient)
    {
        if (spec.Momentum == 0)
        {
            parameter.add_(gradient, negativeLearningRate!);
            return;
        }
        var velocity = Slot(index, 0, parameter);
        velocity.mul_(momentum!).add_(gradient, negativeLearningRate!);
        parameter.add_(velocity, TorchScalars.One);
    }

    protected override void EndStep()
    {
        momentum?.Dispose();
        negativeLearningRate?.Dispose();
    }
}

/// <summary>Keras RMSprop: v = rho v + (1-rho) g^2; p -= lr g / (sqrt(v) + eps).</summary>
public sealed class KerasRmsProp(IEnumerable<Tensor> parameters, OptimizerSpec spec) : KerasOptimizer(parameters)
{
    private Scalar? rho, oneMinusRho, epsilon, negativeLearningRate;

    protected override void BeginStep(long iteration)
    {
        rho = spec.Rho.ToScalar();
        oneMinusRho = (1 - spec.Rho).ToScalar();
        epsilon = spec.Epsilon.ToScalar();
        negativeLearningRate = (-spec.LearningRate).ToScalar();
    }

    protected override void Update(int index, Tensor parameter, Tensor gradient)
    {
        var v = Slot(index, 0, parameter);
        v.mul_(rho!).addcmul_(gradient, gradient, oneMinusRho!);
        using var denominator = v.sqrt();
        denominator.add_(epsilon!);
        parameter.addcdiv_(gradient, denominator, negativeLearningRate!);
    }

    protected override void EndStep()
    {
        foreach (var scalar in new[] { rho, oneMinusRho, epsilon, negativeLearningRate })
            scalar?.Dispose();
    }
}
