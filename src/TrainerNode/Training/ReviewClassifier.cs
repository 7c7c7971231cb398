using GridSweep.Messages.Sweeps;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GridSweep.TrainerNode.Training;

/// <summary>
/// The study's network: dense relu layers over the multi-hot review and one sigmoid unit (returned as a
/// logit; the loss applies the sigmoid). Keras defaults: Glorot-uniform kernels, zero biases.
/// The input is a <see cref="MultiHotBatch"/> rather than one tensor because the sparse form is a pair of
/// tensors (word indices, bag offsets).
/// </summary>
public sealed class ReviewClassifier : Module<MultiHotBatch, Tensor>
{
    // Layers in call order. The first hidden layer's kernel is the embedding table [words, units]:
    // summing the rows of a review's words is the dense layer applied to its multi-hot row.
    private readonly EmbeddingBag input_kernel;
    private readonly Parameter input_bias;
    private readonly ModuleList<Linear> hidden;
    private readonly ModuleList<BatchNorm1d> batch_norms;
    private readonly Linear output;

    private readonly RegularizerSpec regularizer;
    private readonly Generator generator;

    public ReviewClassifier(int numWords, ModelSpec model, RegularizerSpec regularizer, Generator generator)
        : base(nameof(ReviewClassifier))
    {
        if (model.Hidden.Count == 0)
            throw new ArgumentException("a model needs at least one hidden layer", nameof(model));
        this.regularizer = regularizer;
        this.generator = generator;

        var units = model.Hidden;
        input_kernel = EmbeddingBag(numWords, units[0], mode: EmbeddingBagMode.Sum);
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
        output = Linear(units[^1], 1);
        RegisterComponents();

        using (no_grad())
        {
            GlorotUniform(input_kernel.weight!, fanIn: numWords, fanOut: units[0]);
            foreach (var layer in hidden)
            {
                GlorotUniform(layer.weight!, fanIn: layer.in_features, fanOut: layer.out_features);
                layer.bias!.zero_();
            }
            GlorotUniform(output.weight!, fanIn: output.in_features, fanOut: 1);
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

    public override Tensor forward(MultiHotBatch batch)
    {
        var x = batch.DenseRows is { } rows ? rows.matmul(input_kernel.weight!)
            : input_kernel.weight!.device_type == DeviceType.CPU ? MultiHotSum.apply(input_kernel, batch, input_kernel.weight!)
            : input_kernel.call(batch.Indices!, batch.Offsets!, null);
        x = x.add(input_bias, TorchScalars.One);
        x = Activate(x, 0);
        for (var i = 0; i < hidden.Count; i++)
            x = Activate(hidden[i].call(x), i + 1);
        return output.call(x).squeeze(1);
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

    private Tensor Activate(Tensor x, int layer)
    {
        if (batch_norms.Count > 0)
            x = batch_norms[layer].call(x);
        x = functional.relu(x);
        return training && regularizer.Dropout > 0 ? Dropout(x) : x;
    }

    /// <summary>Inverted dropout drawn from the trial's own generator, so concurrent trials never share random state.</summary>
    private Tensor Dropout(Tensor x)
    {
        var keep = 1.0 - regularizer.Dropout;
        using var scale = (1.0 / keep).ToScalar();
        var mask = empty_like(x).bernoulli_(keep, generator);
        return x.mul(mask).mul_(scale);
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
            input_bias.Dispose();
            hidden.Dispose();
            batch_norms.Dispose();
            output.Dispose();
        }
        base.Dispose(disposing);
    }
}
