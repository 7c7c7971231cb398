using GridSweep.Messages.Sweeps;
using Activations = GridSweep.Messages.Sweeps.Activations;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GridSweep.TrainerNode.Training;

/// <summary>
/// The studies' network: dense hidden layers (relu, tanh, elu, gelu or sigmoid) over the input rows, and an
/// output layer as wide as the task asks (<see cref="TaskObjective.OutputUnits"/>), returned raw: a logit,
/// logits, or a value. Keras defaults: Glorot-uniform kernels, zero biases.
/// The input is an <see cref="InputBatch"/> rather than one tensor because multi-hot rows may come in the
/// sparse form, a pair of tensors (word indices, bag offsets); images and tables come as a dense matrix.
/// </summary>
public sealed class DenseNetwork : Module<InputBatch, Tensor>
{
    // Layers in call order. The first hidden layer's kernel [inputs, units] is held by an embedding bag:
    // summing the rows of a review's words is the dense layer applied to its multi-hot row (the sparse fast
    // path), and a dense row multiplies it like any dense layer's kernel.
    private readonly EmbeddingBag input_kernel;
    private readonly Parameter input_bias;
    private readonly ModuleList<Linear> hidden;
    private readonly ModuleList<BatchNorm1d> batch_norms;
    private readonly Linear output;

    private readonly RegularizerSpec regularizer;
    private readonly Func<Tensor, Tensor> activation;
    private readonly Generator generator;
    private readonly GradientBuffer input_kernel_gradient = new();

    /// <param name="inputs">Width of the input rows.</param>
    /// <param name="outputs">Output units: 1 for binary and regression, the number of classes for multiclass.</param>
    public DenseNetwork(int inputs, int outputs, ModelSpec model, RegularizerSpec regularizer, Generator generator)
        : base(nameof(DenseNetwork))
    {
        if (model.Hidden.Count == 0)
            throw new ArgumentException("a model needs at least one hidden layer", nameof(model));
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        this.regularizer = regularizer;
        this.generator = generator;
        activation = Activation(model.Activation);

        var units = model.Hidden;
        input_kernel = EmbeddingBag(inputs, units[0], mode: EmbeddingBagMode.Sum);
        input_bias = new Parameter(zeros(units[0]));
        hidden = new ModuleList<Linear>();
        for (var i = 1; i < units.Count; i++)
            hidden.Add(Linear(units[i - 1], units[i]));
        batch_norms = new ModuleList<BatchNorm1d>();
        if (regularizer.BatchNorm)
        {
            // Keras BatchNormalization: momentum 0.99 (Torch counts the other way), epsilon 1e-3.
            foreach (var width in units)
                batch_norms.Add(BatchNorm1d(width, eps: 1e-3, momentum: 0.01));
        }
        output = Linear(units[^1], outputs);
        RegisterComponents();

        // Drawn in this order from the trial's generator, so a seed gives the same weights as before the
        // network took other tasks and activations.
        using (no_grad())
        {
            GlorotUniform(input_kernel.weight!, fanIn: inputs, fanOut: units[0]);
            foreach (var layer in hidden)
            {
                GlorotUniform(layer.weight!, fanIn: layer.in_features, fanOut: layer.out_features);
                layer.bias!.zero_();
            }
            GlorotUniform(output.weight!, fanIn: output.in_features, fanOut: outputs);
            output.bias!.zero_();
        }
    }

    /// <summary>The hidden kernels that L1/L2 penalize (Keras <c>kernel_regularizer</c> on the hidden layers).</summary>
    public IEnumerable<Tensor> HiddenKernels()
    {
        yield return input_kernel.weight!;
        foreach (var layer in hidden)
            yield return layer.weight!;
    }

    /// <summary>[rows] for one output unit, [rows, units] for more.</summary>
    public override Tensor forward(InputBatch batch)
    {
        var x = batch.DenseRows is { } rows ? rows.matmul(input_kernel.weight!)
            : input_kernel.weight!.device_type == DeviceType.CPU ? MultiHotSum.apply(input_kernel, batch, input_kernel.weight!, input_kernel_gradient)
            : input_kernel.call(batch.Indices!, batch.Offsets!, null);
        x = x.add(input_bias, TorchScalars.One);
        x = Activate(x, 0);
        for (var i = 0; i < hidden.Count; i++)
            x = Activate(hidden[i].call(x), i + 1);
        var y = output.call(x);
        return output.out_features == 1 ? y.squeeze(1) : y;
    }

    /// <summary>The L1/L2 penalty, Keras style: l1 * sum|W| + l2 * sum W^2 over the hidden kernels.</summary>
    public Tensor Penalty()
    {
        var total = zeros(1, device: input_bias.device).squeeze(0);
        if (regularizer.L1 == 0 && regularizer.L2 == 0)
            return total;
        using var l1 = regularizer.L1.ToScalar();
        using var l2 = regularizer.L2.ToScalar();
        foreach (var kernel in HiddenKernels())
        {
            if (regularizer.L1 != 0)
                total = total.add(kernel.abs().sum(), l1);
            if (regularizer.L2 != 0)
                total = total.add(kernel.mul(kernel).sum(), l2);
        }
        return total;
    }

    /// <summary>A hidden activation by its Keras name (elu with alpha 1, gelu exact, as Keras' defaults).</summary>
    internal static Func<Tensor, Tensor> Activation(string name) => name switch
    {
        Activations.Relu => x => functional.relu(x),
        Activations.Tanh => x => x.tanh(),
        Activations.Elu => x => functional.elu(x, alpha: 1.0),
        Activations.Gelu => x => functional.gelu(x),
        Activations.Sigmoid => x => x.sigmoid(),
        _ => throw new ArgumentException($"unknown activation '{name}'; known: {string.Join(", ", Activations.All)}", nameof(name)),
    };

    private Tensor Activate(Tensor x, int layer)
    {
        if (batch_norms.Count > 0)
            x = batch_norms[layer].call(x);
        x = activation(x);
        return training && regularizer.Dropout > 0 ? Dropout(x) : x;
    }

    /// <summary>Inverted dropout drawn from the trial's own generator, so concurrent trials never share random state.</summary>
    private Tensor Dropout(Tensor x)
    {
        var keep = 1.0 - regularizer.Dropout;
        using var scale = (1.0 / keep).ToScalar();
        // The mask is scaled rather than the product: one full-size operation less forward and backward, the same bits
        // (mask * scale is exactly 0 or scale).
        var mask = empty_like(x).bernoulli_(keep, generator).mul_(scale);
        return x.mul(mask);
    }

    private void GlorotUniform(Tensor kernel, long fanIn, long fanOut)
    {
        var limit = Math.Sqrt(6.0 / (fanIn + fanOut));
        kernel.uniform_(-limit, limit, generator);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            input_kernel.Dispose();
            input_kernel_gradient.Dispose();
            input_bias.Dispose();
            hidden.Dispose();
            batch_norms.Dispose();
            output.Dispose();
        }
        base.Dispose(disposing);
    }
}
