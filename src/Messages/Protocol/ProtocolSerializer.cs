using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using System.Runtime.Serialization;
using Akka.Serialization;

namespace GridSweep.Messages.Protocol;

/// <summary>
/// The wire format of <see cref="IGridSweepMessage"/>: JSON bodies under short, fixed manifests, so no .NET
/// type name travels and nodes of two builds still understand each other as long as the manifests hold.
/// </summary>
public sealed class ProtocolSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 411;

    private static readonly FrozenDictionary<Type, string> Manifests = new Dictionary<Type, string>
    {
        [typeof(RegisterTrainer)] = "reg",
        [typeof(TrainerRegistered)] = "reg-ok",
        [typeof(RequestWork)] = "want",
        [typeof(AssignTrial)] = "assign",
        [typeof(TrialStarted)] = "began",
        [typeof(EpochCompleted)] = "epoch",
        [typeof(KeptFilePart)] = "file",
        [typeof(KeptFilePartReceived)] = "file-ok",
        [typeof(TrialCompleted)] = "done",
        [typeof(TrialCompletedReceived)] = "done-ok",
        [typeof(TrialFailed)] = "fail",
        [typeof(TrialReturned)] = "back",
        [typeof(SweepEnded)] = "ended",
        [typeof(GetSweepStatus)] = "status?",
        [typeof(SweepStatusResponse)] = "status",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, Type> Types = Manifests.ToFrozenDictionary(pair => pair.Value, pair => pair.Key);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public override int Identifier => Id;

    /// <summary>Every protocol type with its manifest, for tests and documentation.</summary>
    public static IReadOnlyDictionary<Type, string> KnownTypes => Manifests;

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType().Name} is not part of the GridSweep protocol");

    public override byte[] ToBinary(object obj) =>
        obj is GetSweepStatus ? [] : JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!Types.TryGetValue(manifest, out var type))
            throw new SerializationException($"unknown GridSweep manifest '{manifest}': is this node older than its peer?");
        if (type == typeof(GetSweepStatus))
            return GetSweepStatus.Instance;
        return JsonSerializer.Deserialize(bytes, type, Json)
            ?? throw new SerializationException($"empty body for GridSweep manifest '{manifest}'");
    }
}
