using GridSweep.Messages.Sweeps;
using GridSweep.TrainerNode.Training;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Models;

/// <summary>
/// One module of the <c>torch.nn.Sequential</c> that computes what a <see cref="DenseNetwork"/> computes at inference:
/// <c>getattr(torch.nn, type)(**args)</c> builds it.
/// </summary>
public sealed record SequentialLayer(int Index, string Type, IReadOnlyDictionary<string, double> Args);

/// <summary>A tensor of the Sequential's <c>state_dict</c>: its PyTorch name and shape, and the safetensors dtype.</summary>
public sealed record SequentialTensor(string Name, IReadOnlyList<long> Shape, string Dtype);

/// <summary>
/// A <see cref="DenseNetwork"/> laid out as PyTorch's <c>nn.Sequential</c>: Linear, [BatchNorm1d], activation, ...,
/// Linear, with the state_dict names PyTorch gives it (<c>0.weight</c>, <c>0.bias</c>, <c>1.running_mean</c>, ...), and
/// the way each of those tensors maps to the network's own. Dropout is left out: it is the identity at inference.
/// </summary>
public sealed class SequentialLayout
{
    /// <summary>Which of the network's tensors a Sequential tensor is; the first kernel is stored [inputs, units], nn.Linear's transposed.</summary>
    private sealed record Mapping(string Name, string Source, bool Transposed);

    private readonly List<Mapping> mappings = [];

    public SequentialLayout(int inputs, int outputs, ModelSpec model, RegularizerSpec regularizer)
    {
        Inputs = inputs;
        Outputs = outputs;
        var layers = new List<SequentialLayer>();
        var width = inputs;
        for (var layer = 0; layer < model.Hidden.Count; layer++)
        {
            var units = model.Hidden[layer];
            var linear = Add(layers, "Linear", new() { ["in_features"] = width, ["out_features"] = units });
            if (layer == 0)
            {
                mappings.Add(new($"{linear}.weight", "input_kernel.weight", Transposed: true));
                mappings.Add(new($"{linear}.bias", "input_bias", Transposed: false));
            }
            else
            {
                MapParameters(linear, $"hidden.{layer - 1}", "weight", "bias");
            }
            if (regularizer.BatchNorm)
            {
                // DenseNetwork's Keras settings: epsilon 1e-3, momentum 0.99 (PyTorch counts it the other way: 0.01).
                var norm = Add(layers, "BatchNorm1d", new() { ["num_features"] = units, ["eps"] = 1e-3, ["momentum"] = 0.01 });
                MapParameters(norm, $"batch_norms.{layer}", "weight", "bias", "running_mean", "running_var", "num_batches_tracked");
            }
            AddActivation(layers, model.Activation);
            width = units;
        }
        var output = Add(layers, "Linear", new() { ["in_features"] = width, ["out_features"] = outputs });
        MapParameters(output, "output", "weight", "bias");
        Layers = layers;
    }

    public static SequentialLayout Of(TrialSpec trial, int inputs, int outputs) =>
        new(inputs, outputs, trial.ModelConfig, trial.RegularizerConfig);

    public int Inputs { get; }
    public int Outputs { get; }
    public IReadOnlyList<SequentialLayer> Layers { get; }

    /// <summary>The Sequential's state_dict names in PyTorch's order (module by module, parameters before buffers).</summary>
    public IReadOnlyList<string> TensorNames => mappings.Select(m => m.Name).ToList();

    /// <summary>The network's tensors under their Sequential names, on the network's device; every tensor of the network exactly once.</summary>
    /// <exception cref="InvalidOperationException">The network has a tensor this layout does not place, or lacks one it expects.</exception>
    public IReadOnlyList<(string Name, Tensor Tensor)> Tensors(DenseNetwork network)
    {
        var state = network.state_dict();
        CheckCovers(state.Keys);
        return mappings.Select(m => (m.Name, m.Transposed ? state[m.Source].t() : state[m.Source])).ToList();
    }

    /// <summary>Copies a kept model's tensors, by their Sequential names, into <paramref name="network"/>.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing, extra, or of another shape; the message names it.</exception>
    public void Load(DenseNetwork network, SafeTensorsContent file)
    {
        var state = network.state_dict();
        CheckCovers(state.Keys);
        var extra = file.Names.Except(TensorNames).ToList();
        if (extra.Count > 0)
            throw new InvalidDataException($"the weights hold tensors the network has no place for: {string.Join(", ", extra)}");
        using var guard = no_grad();
        foreach (var mapping in mappings)
        {
            if (!file.TryGet(mapping.Name, out var stored))
                throw new InvalidDataException($"the weights lack tensor '{mapping.Name}'");
            var target = state[mapping.Source];
            using var source = mapping.Transposed ? stored.t() : stored.alias();
            if (!source.shape.SequenceEqual(target.shape) || source.dtype != target.dtype)
                throw new InvalidDataException(
                    $"tensor '{mapping.Name}' is [{string.Join(", ", stored.shape)}] {stored.dtype}; the network's is [{string.Join(", ", mapping.Transposed ? target.shape.Reverse() : target.shape)}] {target.dtype}");
            target.copy_(source);
        }
    }

    private void CheckCovers(IEnumerable<string> networkTensors)
    {
        var expected = mappings.Select(m => m.Source).ToHashSet();
        var actual = networkTensors.ToHashSet();
        if (!expected.SetEquals(actual))
        {
            throw new InvalidOperationException(
                $"the network's tensors ({string.Join(", ", actual.Order())}) are not those the Sequential layout places " +
                $"({string.Join(", ", expected.Order())}): DenseNetwork changed without SequentialLayout");
        }
    }

    private void MapParameters(int index, string source, params string[] names)
    {
        foreach (var name in names)
            mappings.Add(new($"{index}.{name}", $"{source}.{name}", Transposed: false));
    }

    private static int Add(List<SequentialLayer> layers, string type, Dictionary<string, double> args)
    {
        layers.Add(new SequentialLayer(layers.Count, type, args));
        return layers.Count - 1;
    }

    /// <summary>The torch.nn module of a hidden activation, with DenseNetwork's arguments (ELU alpha 1, exact GELU: PyTorch's defaults).</summary>
    private static void AddActivation(List<SequentialLayer> layers, string activation) => Add(layers, activation switch
    {
        Activations.Relu => "ReLU",
        Activations.Tanh => "Tanh",
        Activations.Elu => "ELU",
        Activations.Gelu => "GELU",
        Activations.Sigmoid => "Sigmoid",
        _ => throw new ArgumentException($"unknown activation '{activation}'; known: {string.Join(", ", Activations.All)}", nameof(activation)),
    }, activation == Activations.Elu ? new() { ["alpha"] = 1.0 } : []);
}
