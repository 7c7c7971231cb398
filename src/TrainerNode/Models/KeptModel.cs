using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Files;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Models;

/// <summary>
/// A trial's kept model: the weights of one epoch as PyTorch's <c>nn.Sequential</c> in safetensors
/// (<c>models/&lt;trial_id&gt;.safetensors</c>) and, beside them, what they are (<see cref="KeptModelDescription"/>,
/// <c>models/&lt;trial_id&gt;.json</c>): the resolved trial, the epoch and its metrics, the layers, what the output means
/// and how raw data becomes an input row.
/// </summary>
public static class KeptModel
{
    /// <summary>The description's layout; bump when a field changes meaning or goes away.</summary>
    public const int FormatVersion = 1;

    /// <summary>snake_case as the protocol writes a trial; NaN and infinities as the strings "NaN" and "Infinity".</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        WriteIndented = true,
    };

    /// <summary>Both files' bytes for the model as it is now, trained up to <paramref name="epoch"/>: to keep in memory, send, or write.</summary>
    public static KeptModelFiles Export(TrialSpec trial, DenseNetwork model, TrainingData data, EpochMetrics epoch)
    {
        var layout = SequentialLayout.Of(trial, data.Inputs, data.Objective.OutputUnits);
        using var scope = NewDisposeScope();
        var tensors = layout.Tensors(model);
        var metadata = new Dictionary<string, string>
        {
            // "pt" tells the Python library's loaders the tensors are PyTorch's.
            ["format"] = "pt",
            ["trial_id"] = trial.Id,
            ["epoch"] = epoch.Epoch.ToString(CultureInfo.InvariantCulture),
            ["val_loss"] = epoch.ValLoss.ToString("R", CultureInfo.InvariantCulture),
        };
        var weights = SafeTensorsFile.ToBytes(tensors, metadata);
        var description = new KeptModelDescription(
            FormatVersion,
            trial.Id,
            epoch.Epoch,
            epoch,
            trial,
            KeptModelFiles.WeightsFileName(trial.Id),
            new NetworkDescription(
                "torch.nn.Sequential",
                layout.Inputs,
                layout.Outputs,
                layout.Layers,
                tensors.Select(t => new SequentialTensor(t.Name, t.Tensor.shape, SafeTensorsFile.DTypeName(t.Tensor.dtype, t.Name))).ToList(),
                trial.RegularizerConfig.Dropout > 0
                    ? $"left out: dropout ({trial.RegularizerConfig.Dropout.ToString(CultureInfo.InvariantCulture)}) is only active in training; at inference it is the identity"
                    : "none"),
            OutputDescription.For(data),
            data.Description,
            data.Preparation);
        return new KeptModelFiles(trial.Id, weights, JsonSerializer.SerializeToUtf8Bytes(description, Json));
    }

    /// <summary>Exports the model and writes <c>models/&lt;trial_id&gt;.safetensors</c> and <c>.json</c> into <paramref name="runFolder"/>.</summary>
    public static KeptModelFiles Write(string runFolder, TrialSpec trial, DenseNetwork model, TrainingData data, EpochMetrics epoch)
    {
        var files = Export(trial, model, data, epoch);
        files.WriteTo(runFolder);
        return files;
    }

    /// <summary>Reads a kept model's description and weights from a run folder into a TorchSharp network, on the CPU, in eval mode.</summary>
    /// <exception cref="FileNotFoundException">The run folder keeps no model of that trial.</exception>
    /// <exception cref="InvalidDataException">The files are unreadable or do not match each other; the message names the file.</exception>
    public static LoadedModel Load(string runFolder, string trialId)
    {
        var descriptionPath = KeptModelFiles.DescriptionPath(runFolder, trialId);
        var weightsPath = KeptModelFiles.WeightsPath(runFolder, trialId);
        foreach (var path in (string[])[descriptionPath, weightsPath])
        {
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path} does not exist: the run folder keeps no model of trial {trialId}", path);
        }
        var description = ReadDescription(descriptionPath);
        using var weights = SafeTensorsFile.Read(weightsPath);
        if (weights.Metadata.GetValueOrDefault("epoch") is { } epoch && epoch != description.Epoch.ToString(CultureInfo.InvariantCulture))
            throw new InvalidDataException($"{weightsPath}: holds epoch {epoch}'s weights but {descriptionPath} describes epoch {description.Epoch}");

        var trial = description.Trial;
        var layout = SequentialLayout.Of(trial, description.Network.Inputs, description.Network.Outputs);
        var generator = new Generator(0);
        var network = new DenseNetwork(layout.Inputs, layout.Outputs, trial.ModelConfig, trial.RegularizerConfig, generator);
        try
        {
            layout.Load(network, weights);
        }
        catch (InvalidDataException error)
        {
            network.Dispose();
            generator.Dispose();
            throw new InvalidDataException($"{weightsPath}: {error.Message}", error);
        }
        network.eval();
        return new LoadedModel(description, network, generator);
    }

    public static KeptModelDescription ReadDescription(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            return JsonSerializer.Deserialize<KeptModelDescription>(file, Json)
                ?? throw new InvalidDataException($"{path}: is empty");
        }
        catch (Exception error) when (error is JsonException or NotSupportedException)
        {
            throw new InvalidDataException($"{path}: not a kept model's description: {error.Message}", error);
        }
    }
}

/// <summary>A kept model loaded for inference; disposing it frees the network.</summary>
public sealed class LoadedModel(KeptModelDescription description, DenseNetwork network, Generator generator) : IDisposable
{
    public KeptModelDescription Description { get; } = description;
    public DenseNetwork Network { get; } = network;

    public void Dispose()
    {
        Network.Dispose();
        generator.Dispose();
    }
}

/// <summary>The JSON beside a kept model's weights (<c>models/&lt;trial_id&gt;.json</c>).</summary>
/// <param name="Epoch">The epoch whose weights these are.</param>
/// <param name="Metrics">That epoch's figures, as epochs.csv records them.</param>
/// <param name="Trial">The resolved trial, as the coordinator sent it (the protocol's snake_case form).</param>
/// <param name="Weights">The weights' file name, beside this one.</param>
/// <param name="Data">The dataset as the trainer loaded it.</param>
/// <param name="Input">How a raw review, image or table row becomes an input row; null for made-up data.</param>
public sealed record KeptModelDescription(
    int FormatVersion,
    string TrialId,
    int Epoch,
    EpochMetrics Metrics,
    TrialSpec Trial,
    string Weights,
    NetworkDescription Network,
    OutputDescription Output,
    string Data,
    InputPreparation? Input);

/// <param name="Module">What the layers make: <c>torch.nn.Sequential(*layers)</c>.</param>
/// <param name="Dropout">Why the Sequential has no dropout.</param>
public sealed record NetworkDescription(
    string Module,
    int Inputs,
    int Outputs,
    IReadOnlyList<SequentialLayer> Layers,
    IReadOnlyList<SequentialTensor> Tensors,
    string Dropout);

/// <summary>What the Sequential's output is and how GridSweep scored it.</summary>
/// <param name="Classes">Classification: the class each index stands for (binary: index 1 is the logit's class); empty for regression.</param>
public sealed record OutputDescription(LearningTask Task, int Units, string Meaning, string Loss, string Metric, IReadOnlyList<string> Classes)
{
    public static OutputDescription For(TrainingData data) => data.Task switch
    {
        LearningTask.Binary => new(data.Task, 1,
            "one logit per row, shape [N, 1]: sigmoid(logit) is the probability of classes[1]",
            "torch.nn.functional.binary_cross_entropy_with_logits(logit.squeeze(1), label), label 0.0 or 1.0, mean over rows",
            "accuracy: logit > 0 predicts classes[1]", data.ClassNames),
        LearningTask.Multiclass => new(data.Task, data.Objective.OutputUnits,
            "one logit per class, shape [N, classes]: softmax gives the class probabilities, argmax the class index",
            "torch.nn.functional.cross_entropy(logits, class_index), mean over rows",
            "accuracy: argmax(logits) == class_index", data.ClassNames),
        _ => new(data.Task, 1,
            "the predicted target value, shape [N, 1]",
            "torch.nn.functional.mse_loss(value.squeeze(1), target), mean over rows",
            "mean absolute error", []),
    };
}
