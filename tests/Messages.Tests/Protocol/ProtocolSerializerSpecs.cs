using Akka.Actor;
using Akka.Configuration;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;

namespace GridSweep.Messages.Tests.Protocol;

public sealed class ProtocolSerializerSpecs : IDisposable
{
    private static readonly TrialSpec Trial = new("528aa9148d28", "imdb-overfitting", "baseline", "l2", "adam", 1,
        new ModelSpec([16, 16]), new RegularizerSpec(L2: 0.001), new OptimizerSpec("adam", 0.001), 20, 512, InputLayer.Sparse,
        new DatasetSpec("imdb", 10000, "/data/imdb_word_index.json"));

    private static readonly EpochMetrics Epoch = new(3, 0.21, 0.013, 0.29, 0.93, 0.88, 0.4);

    private static readonly DataIdentity Imdb = new([
        new DataSource(DataRoles.Dataset, "aclImdb_labeled.tar.gz", 28_891_880, "2e778b945234e3e8516a1b82b783407ef163e344a4fd6246249240f0dcccc8b0"),
        new DataSource(DataRoles.WordIndex, "imdb_word_index.json", 1_464_054, "f3dd6f811f312fbc3fdecb86a58901912da26da47f47f69b802e6102a24e711e"),
    ]);

    /// <summary>One example of every protocol message; a new message type without one fails the coverage test.</summary>
    public static readonly IReadOnlyList<IGridSweepMessage> Samples =
    [
        new RegisterTrainer("gpu-node-1", 4, "cuda:0,cuda:1,cuda:2,cuda:3"),
        new RegisterTrainer("gpu-node-1", 4, "cuda:0,cuda:1,cuda:2,cuda:3", Imdb),
        new RegisterTrainer("gpu-node-1", 2, "cuda:0,cuda:1", Imdb, [new RunningAttempt(Trial.Id, 2), new RunningAttempt("0123456789ab", 1)]),
        new TrainerRegistered("a1b2c3d4e5f6", "imdb-overfitting"),
        new TrainerRegistered("a1b2c3d4e5f6", "imdb-overfitting", [Trial.Id]),
        new RequestWork("gpu-node-1", 2),
        new AssignTrial(Trial, 2, 1, "a1b2c3d4e5f6"),
        new AssignTrial(Trial with { EarlyStopping = new(EarlyStoppingMonitors.Gap, 0.001, 2, StartFromEpoch: 1), EarlyStoppingLabel = "patient" }, 1, 0, "a1b2c3d4e5f6"),
        new TrialStarted(Trial.Id, 1, "gpu-node-1", 0, []),
        new TrialStarted(Trial.Id, 2, "gpu-node-2", 3, [Epoch with { Epoch = 1 }, Epoch with { Epoch = 2 }, Epoch]),
        new EpochCompleted(Trial.Id, 1, "gpu-node-1", Epoch),
        new EpochCompleted(Trial.Id, 1, "gpu-node-1", Epoch with { TrainLoss = double.NaN, ValLoss = double.PositiveInfinity }),
        new TrialCompleted(Trial.Id, 1, "gpu-node-1", TrialSummary.From(TrialStatus.Completed, [Epoch], 12.5)),
        new TrialCompleted(Trial.Id, 1, "gpu-node-1", TrialSummary.From(TrialStatus.Completed, [Epoch], 12.5) with
        {
            StoppedEpoch = 3, StopReason = "val_loss did not improve by more than 0 for 2 epochs after epoch 1 (best 0.29)",
        }),
        new TrialCompleted(Trial.Id, 2, "gpu-node-1", TrialSummary.From(TrialStatus.Completed, [Epoch], 12.5), [Epoch with { Epoch = 1 }, Epoch with { Epoch = 2 }, Epoch]),
        new TrialCompletedReceived(Trial.Id, 2),
        new TrialFailed(Trial.Id, 3, "gpu-node-1", "CUDA out of memory"),
        new TrialReturned(Trial.Id, 1, "gpu-node-1"),
        new SweepEnded("imdb-study"),
        new KeptFilePart(Trial.Id, 1, Trial.Id + ".safetensors", 65536, [0, 1, 2, 254, 255], Last: false),
        new KeptFilePartReceived(Trial.Id, 1, Trial.Id + ".safetensors", 65541),
        new KeptFilePartReceived(Trial.Id, 1, Trial.Id + ".json", 0, "disk full"),
        GetSweepStatus.Instance,
        new SweepStatusResponse("imdb-overfitting", 9, 3, 2, 4, 0, 0, [new NodeStatus("gpu-node-1", "cuda:0", 1, 1, 4, 0)]),
        new SweepStatusResponse("imdb-overfitting", 9, 3, 2, 4, 0, 3, [new NodeStatus("gpu-node-2", "cuda:0", 1, 0, 0, 3, NodeStatus.Quarantined,
            "failed 3 trials in a row while other nodes completed trials; last failure: IOException: disk full",
            new DateTimeOffset(2026, 12, 2, 15, 30, 0, TimeSpan.Zero))]),
        new SweepStatusResponse("boston-housing-overfitting", 9, 3, 2, 4, 0, 0, [],
            new BestTrial("a1b2c3d4e5f6", "baseline", "dropout", 57, 9.81, "val_mae", 2.43)),
    ];

    private readonly ActorSystem system = ActorSystem.Create("protocol-specs", ConfigurationFactory.ParseString("akka.loglevel = ERROR"));

    public void Dispose() => system.Dispose();

    public static TheoryData<int> SampleIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Samples.Count; i++)
            data.Add(i);
        return data;
    }

    [Fact]
    public void Every_protocol_message_type_has_a_manifest_and_a_sample()
    {
        var types = typeof(IGridSweepMessage).Assembly.GetTypes()
            .Where(t => typeof(IGridSweepMessage).IsAssignableFrom(t) && !t.IsInterface)
            .ToHashSet();
        Assert.Equal(types.OrderBy(t => t.Name), ProtocolSerializer.KnownTypes.Keys.OrderBy(t => t.Name));
        Assert.Equal(types.OrderBy(t => t.Name), Samples.Select(s => s.GetType()).Distinct().OrderBy(t => t.Name));
    }

    [Theory]
    [MemberData(nameof(SampleIndexes))]
    public void A_message_survives_the_wire_unchanged(int index)
    {
        var message = Samples[index];
        var serializer = new ProtocolSerializer((ExtendedActorSystem)system);

        var bytes = serializer.ToBinary(message);
        var manifest = serializer.Manifest(message);
        var back = serializer.FromBinary(bytes, manifest);

        Assert.IsType(message.GetType(), back);
        Assert.Equal(bytes, serializer.ToBinary(back)); // Lists compare by reference in records; their bytes compare by value.
        Assert.DoesNotContain("GridSweep", System.Text.Encoding.UTF8.GetString(bytes)); // No .NET type names on the wire.
        Assert.True(manifest.Length <= 8, $"manifest '{manifest}' is not short");
    }

    [Fact]
    public void The_actor_system_picks_this_serializer_for_protocol_messages()
    {
        using var configured = ActorSystem.Create("protocol-binding", ConfigurationFactory.ParseString($$"""
            akka.loglevel = ERROR
            akka.actor.serializers.gridsweep = "{{typeof(ProtocolSerializer).AssemblyQualifiedName}}"
            akka.actor.serialization-bindings { "{{typeof(IGridSweepMessage).AssemblyQualifiedName}}" = gridsweep }
            """));
        var serializer = configured.Serialization.FindSerializerFor(Samples[0]);
        Assert.IsType<ProtocolSerializer>(serializer);
        Assert.Equal(ProtocolSerializer.Id, serializer.Identifier);
    }

    [Fact]
    public void A_trial_end_with_its_longest_curve_fits_akkas_default_frame()
    {
        var serializer = new ProtocolSerializer((ExtendedActorSystem)system);
        // Full-precision numbers everywhere: the longest JSON an epoch can take.
        var curve = Enumerable.Range(1, TrialCompleted.MaxCurve)
            .Select(e => new EpochMetrics(e, 0.12345678901234567, 0.0012345678901234567, 0.23456789012345678, 0.8765432109876543,
                0.7654321098765432, 123.45678901234567, 1.2345678901234567, 2.3456789012345678))
            .ToList();
        var end = new TrialCompleted(new string('f', 12), int.MaxValue, new string('n', 64),
            TrialSummary.From(TrialStatus.Completed, curve, 1e6) with { StopReason = new string('r', 200) }, curve);

        var bytes = serializer.ToBinary(end);

        Assert.InRange(bytes.Length, 1, 128_000 - 1_000); // Room left for the envelope.
        Assert.Equal(TrialCompleted.MaxCurve, ((TrialCompleted)serializer.FromBinary(bytes, serializer.Manifest(end))).Curve!.Count);
    }

    [Fact]
    public void The_largest_piece_of_a_kept_file_fits_akkas_default_frame()
    {
        var serializer = new ProtocolSerializer((ExtendedActorSystem)system);
        var piece = new KeptFilePart(new string('f', 12), int.MaxValue, new string('f', 12) + ".safetensors", long.MaxValue,
            Enumerable.Range(0, KeptFilePart.MaxBytes).Select(i => (byte)i).ToArray(), Last: true);

        var bytes = serializer.ToBinary(piece);

        Assert.InRange(bytes.Length, KeptFilePart.MaxBytes, 128_000 - 1_000); // Room left for the envelope.
        Assert.Equal(piece.Bytes, ((KeptFilePart)serializer.FromBinary(bytes, serializer.Manifest(piece))).Bytes);
    }

    [Fact]
    public void A_registration_carries_its_data_identity_source_by_source()
    {
        var serializer = new ProtocolSerializer((ExtendedActorSystem)system);
        var message = new RegisterTrainer("gpu-node-1", 1, "cpu", Imdb);

        var back = (RegisterTrainer)serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));

        Assert.Equal(message, back);
        Assert.Equal(Imdb.Sources, back.Data!.Sources);
        Assert.Equal(Imdb.Digest, back.Data.Digest);
    }

    [Fact]
    public void A_registration_from_a_trainer_older_than_data_identities_still_reads()
    {
        var serializer = new ProtocolSerializer((ExtendedActorSystem)system);
        var older = """{"node_id":"old-node","slots":2,"device":"cpu"}"""u8.ToArray();

        var back = serializer.FromBinary(older, "reg");

        Assert.Equal(new RegisterTrainer("old-node", 2, "cpu"), back);
        Assert.Null(((RegisterTrainer)back).Data);
    }

    [Fact]
    public void The_wire_carries_each_sources_role_name_size_and_hash_but_not_the_derived_digest()
    {
        var serializer = new ProtocolSerializer((ExtendedActorSystem)system);

        var json = System.Text.Encoding.UTF8.GetString(serializer.ToBinary(new RegisterTrainer("n", 1, "cpu", Imdb)));

        Assert.Contains("""{"role":"word_index","name":"imdb_word_index.json","bytes":1464054,"sha256":"f3dd6f81""", json);
        Assert.DoesNotContain(Imdb.Digest, json);
    }

    [Fact]
    public void An_unknown_manifest_names_itself()
    {
        var serializer = new ProtocolSerializer((ExtendedActorSystem)system);
        var error = Assert.ThrowsAny<Exception>(() => serializer.FromBinary([], "from-the-future"));
        Assert.Contains("from-the-future", error.Message);
    }
}
