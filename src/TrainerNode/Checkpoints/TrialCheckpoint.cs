using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GridSweep.Messages.Trials;
using TorchSharp;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Checkpoints;

/// <summary>
/// Everything a trial needs to go on after an epoch as if it had never stopped: the network's parameters and
/// buffers, the optimizer's slots and step count, the trial's random generator, and the epochs so far (the
/// shuffle order is replayed from the seed and that count, see <see cref="Training.TrialTrainer"/>).
/// </summary>
/// <remarks>
/// One file in TorchSharp's own tensor format (dtype, shape, raw bytes per tensor: the format its Module.save
/// uses) behind a small JSON header; exact to the bit, which a resumed curve needs. The kept best model, which
/// people load elsewhere, is safetensors instead.
/// </remarks>
public sealed class TrialCheckpoint : IDisposable
{
    private static readonly byte[] Magic = "GSCKPT01"u8.ToArray();

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <param name="Identity">What must match to resume: the trial id and its data, see <see cref="CheckpointStore"/>.</param>
    /// <param name="Nodes">The node that trained each of <paramref name="Epochs"/>, so a resumed trial reports them as theirs.</param>
    public sealed record Header(string Identity, long OptimizerIterations, IReadOnlyList<EpochMetrics> Epochs, IReadOnlyList<string> Tensors,
        IReadOnlyList<string> Nodes);

    public required Header Info { get; init; }

    /// <summary>Module state by name (parameters and buffers), then <c>optimizer.N</c> slots, then <c>generator</c>.</summary>
    public required IReadOnlyDictionary<string, Tensor> Tensors { get; init; }

    public int Epoch => Info.Epochs.Count;

    public const string GeneratorTensor = "generator";
    public const string OptimizerPrefix = "optimizer.";

    public static void Write(Stream stream, Header header, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        var list = tensors.ToList();
        header = header with { Tensors = list.Select(t => t.Name).ToList() };
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(JsonSerializer.Serialize(header, Json));
        foreach (var (_, tensor) in list)
        {
            // Saved from the CPU: a checkpoint written on a GPU loads on any device.
            using var cpu = tensor.device_type == DeviceType.CPU ? tensor.alias() : tensor.cpu();
            cpu.Save(writer);
        }
    }

    /// <exception cref="InvalidDataException">Not a checkpoint, or cut short.</exception>
    public static TrialCheckpoint Read(Stream stream)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
                throw new InvalidDataException("not a GridSweep checkpoint (its first bytes differ)");
            var header = JsonSerializer.Deserialize<Header>(reader.ReadString(), Json)
                ?? throw new InvalidDataException("the checkpoint's header is empty");
            var tensors = new Dictionary<string, Tensor>();
            foreach (var name in header.Tensors)
                tensors[name] = TensorExtensionMethods.Load(reader, skip: false).DetachFromDisposeScope();
            if (stream.CanSeek && stream.Position != stream.Length)
                throw new InvalidDataException($"the checkpoint has {stream.Length - stream.Position} bytes after its last tensor");
            return new TrialCheckpoint { Info = header, Tensors = tensors };
        }
        catch (EndOfStreamException error)
        {
            throw new InvalidDataException("the checkpoint is cut short", error);
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"the checkpoint's header is not valid: {error.Message}", error);
        }
    }

    public void Dispose()
    {
        foreach (var tensor in Tensors.Values)
            tensor.Dispose();
    }
}
