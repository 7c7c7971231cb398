using System.Diagnostics;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using GridSweep.Messages.Protocol;
using GridSweep.Runtime.Files;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TrainerNode.Actors;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Training;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Tests.Actors;

/// <summary>
/// The trainer node's side of the protocol, with a test probe as the coordinator and real TorchSharp training
/// on a tiny synthetic dataset (a trial of a few epochs takes milliseconds). Where a test needs a trial to be
/// running at a known moment, its dataset is held back by a gate the test opens, or the trial is given so many
/// epochs that it cannot finish while the test runs.
/// </summary>
public sealed class TrainerNodeActorSpecs : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>Only a guard against hangs: generous, so a loaded machine does not fail the tests.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    /// <summary>How long a node must stay silent to count as having nothing more to say.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(3);

    private const string Node = "node-a";
    private const string Incarnation = "coordinator-1";
    private const int Words = 100;
    private const int GatedWords = 101;
    private const int SecondGatedWords = 102;

    /// <summary>Enough epochs that the trial is still running whenever the test acts on it.</summary>
    private const int Endless = 1_000_000;

    private readonly TaskCompletionSource<ReviewDataset> gate = new();
    private readonly TaskCompletionSource<ReviewDataset> secondGate = new();

    public TrainerNodeActorSpecs() : base("akka.loglevel = WARNING")
    {
    }

    private static ReviewDataset Reviews(int numWords) =>
        SyntheticReviews.Generate(trainCount: 300, testCount: 100, numWords, seed: 5);

    /// <summary>Serves the tiny dataset at once, except the gated vocabulary sizes, which wait for their gates.</summary>
    private NodeDatasets Datasets() => new(dataPath: null, wordIndexOverride: null, cacheDirectory: Path.GetTempPath())
    {
        Source = (numWords, _) => numWords switch
        {
            GatedWords => gate.Task,
            SecondGatedWords => secondGate.Task,
            _ => Task.FromResult(Reviews(numWords)),
        },
    };

    private static TrialSpec Trial(string id, int epochs, int numWords = Words, string? wordIndex = null, OptimizerSpec? optimizer = null) =>
        new(id, "sweep", "tiny", "none", "adam", 3, new ModelSpec([4]), RegularizerSpec.None,
            optimizer ?? new OptimizerSpec("adam", 0.01), epochs, 64, InputLayer.Sparse, new DatasetSpec("imdb", numWords, wordIndex));

    /// <summary>A node whose registration timer fires once at start, then not again during the test.</summary>
    private IActorRef Trainer(TestProbe coordinator, int slots = 1, TimeSpan? registerInterval = null) =>
        Sys.ActorOf(TrainerNodeActor.Props(
            new TrainerNodeActor.Options(Node, Enumerable.Repeat("cpu", slots).ToArray(), registerInterval ?? TimeSpan.FromHours(1)),
            coordinator.Ref, Datasets(), metrics: null));

    /// <summary>A one-slot node, registered with the coordinator and asking for work.</summary>
    private IActorRef RegisteredTrainer(TestProbe coordinator)
    {
        var trainer = Trainer(coordinator);
        coordinator.ExpectMsg<RegisterTrainer>(HangGuard);
        trainer.Tell(new TrainerRegistered(Incarnation, "sweep"), coordinator.Ref);
        Assert.Equal(new RequestWork(Node, 0), coordinator.ExpectMsg<RequestWork>(HangGuard));
        return trainer;
    }

    private static void Assign(IActorRef trainer, TestProbe coordinator, TrialSpec trial, int attempt = 1, string incarnation = Incarnation) =>
        trainer.Tell(new AssignTrial(trial, attempt, 0, incarnation), coordinator.Ref);

    private static bool IsEpochOf(object message, string trialId) => message is EpochCompleted e && e.TrialId == trialId;

    /// <summary>A trial without a checkpoint store begins from scratch, and says so before its first epoch.</summary>
    private static void ExpectStartedFromScratch(TestProbe coordinator, string trialId, int attempt = 1)
    {
        var started = coordinator.ExpectMsg<TrialStarted>(HangGuard);
        Assert.Equal((trialId, attempt, Node, 0, 0), (started.TrialId, started.Attempt, started.NodeId, started.ResumedAfterEpoch, started.EarlierEpochs.Count));
    }

    /// <summary>Plays the coordinator's side of the kept files' delivery: answers every piece, returns each file's bytes.</summary>
    private static Dictionary<string, byte[]> ReceiveKeptFiles(TestProbe coordinator, int files = 2)
    {
        var received = new Dictionary<string, List<byte>>();
        var complete = 0;
        while (complete < files)
        {
            var piece = coordinator.ExpectMsg<KeptFilePart>(HangGuard);
            var bytes = received.TryGetValue(piece.FileName, out var b) ? b : received[piece.FileName] = [];
            Assert.Equal(bytes.Count, piece.Offset);
            bytes.AddRange(piece.Bytes);
            coordinator.Reply(new KeptFilePartReceived(piece.TrialId, piece.Attempt, piece.FileName, piece.Offset + piece.Bytes.Length));
            if (piece.Last)
                complete++;
        }
        return received.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray());
    }

    /// <summary>The next message other than those <paramref name="skipped"/>, which must be a <typeparamref name="T"/>.</summary>
    private static T NextSkipping<T>(TestProbe probe, Func<object, bool> skipped)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < HangGuard)
        {
            var message = probe.ReceiveOne(HangGuard - clock.Elapsed);
            Assert.NotNull(message);
            if (!skipped(message))
                return Assert.IsType<T>(message);
        }
        throw new TimeoutException($"no {typeof(T).Name} within {HangGuard}: only skipped messages came");
    }

    /// <summary>
    /// Waits until the node has been silent for <see cref="Quiet"/>; every message before that must be <paramref name="allowed"/>.
    /// A trial that goes on running keeps sending epochs, so this fails if the silence does not come within the hang guard.
    /// </summary>
    private static void ExpectQuietAfter(TestProbe probe, Func<object, bool> allowed)
    {
        var clock = Stopwatch.StartNew();
        while (probe.ReceiveOne(Quiet) is { } message)
        {
            Assert.True(allowed(message), $"unexpected {message}");
            Assert.True(clock.Elapsed < HangGuard, $"still sending after {HangGuard}; last: {message}");
        }
    }

    [Fact]
    public void A_node_registers_its_node_id_slots_and_device()
    {
        var coordinator = CreateTestProbe();
        Trainer(coordinator, slots: 2);
        var registration = coordinator.ExpectMsg<RegisterTrainer>(HangGuard);
        Assert.Equal((Node, 2, "cpu"), (registration.NodeId, registration.Slots, registration.Device));
        Assert.Empty(registration.Running!); // nothing running yet
    }

    [Fact]
    public async Task A_node_announces_the_identity_of_the_data_it_prepared_when_it_registers()
    {
        var coordinator = CreateTestProbe();
        var datasets = Datasets();
        var (prepared, _) = await datasets.PrepareAsync(new DatasetSpec("imdb", Words));
        Sys.ActorOf(TrainerNodeActor.Props(new TrainerNodeActor.Options(Node, ["cpu"], TimeSpan.FromHours(1)), coordinator.Ref, datasets, metrics: null));

        var registration = coordinator.ExpectMsg<RegisterTrainer>(HangGuard);

        Assert.NotNull(registration.Data);
        Assert.Equal(prepared.Identity.Sources, registration.Data.Sources);
        Assert.Equal(Reviews(Words).Identity.Digest, registration.Data.Digest);
    }

    [Fact]
    public void A_node_that_prepared_nothing_registers_without_a_data_identity()
    {
        var coordinator = CreateTestProbe();
        Trainer(coordinator);
        Assert.Null(coordinator.ExpectMsg<RegisterTrainer>(HangGuard).Data);
    }

    [Fact]
    public void A_node_asks_for_no_work_before_the_coordinator_acknowledges_it()
    {
        var coordinator = CreateTestProbe();
        Trainer(coordinator, slots: 2);
        coordinator.ExpectMsg<RegisterTrainer>(HangGuard);
        coordinator.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void Once_acknowledged_a_node_asks_for_work_once_per_free_slot()
    {
        var coordinator = CreateTestProbe();
        var trainer = Trainer(coordinator, slots: 2);
        coordinator.ExpectMsg<RegisterTrainer>(HangGuard);
        trainer.Tell(new TrainerRegistered(Incarnation, "sweep"), coordinator.Ref);
        var requests = new[] { coordinator.ExpectMsg<RequestWork>(HangGuard), coordinator.ExpectMsg<RequestWork>(HangGuard) };
        Assert.Equal([new RequestWork(Node, 0), new RequestWork(Node, 1)], requests.OrderBy(r => r.Slot));

        // The same coordinator acknowledging again (registration doubles as heartbeat) asks nothing new.
        trainer.Tell(new TrainerRegistered(Incarnation, "sweep"), coordinator.Ref);
        coordinator.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void Registration_repeats_at_its_interval_as_a_heartbeat()
    {
        var coordinator = CreateTestProbe();
        Trainer(coordinator, registerInterval: TimeSpan.FromMilliseconds(100));
        for (var i = 0; i < 3; i++)
            Assert.Equal((Node, 1, "cpu"), coordinator.ExpectMsg<RegisterTrainer>(HangGuard) is var r ? (r.NodeId, r.Slots, r.Device) : default);
    }

    [Fact]
    public void An_assigned_trial_reports_each_epoch_with_its_attempt_then_its_result_then_the_slot_asks_again()
    {
        var coordinator = CreateTestProbe();
        var trainer = RegisteredTrainer(coordinator);
        Assign(trainer, coordinator, Trial("t1", epochs: 3), attempt: 2);

        ExpectStartedFromScratch(coordinator, "t1", attempt: 2);
        var epochs = Enumerable.Range(0, 3).Select(_ => coordinator.ExpectMsg<EpochCompleted>(HangGuard)).ToList();
        Assert.Equal([1, 2, 3], epochs.Select(e => e.Metrics.Epoch));
        Assert.All(epochs, e => Assert.Equal(("t1", 2, Node), (e.TrialId, e.Attempt, e.NodeId)));

        // Its best weights and their description reach the coordinator before the trial is reported.
        var kept = ReceiveKeptFiles(coordinator);
        Assert.Equal(["t1.json", "t1.safetensors"], kept.Keys.Order());
        Assert.Contains($"\"epoch\": {epochs.MinBy(e => e.Metrics.ValLoss)!.Metrics.Epoch},", System.Text.Encoding.UTF8.GetString(kept["t1.json"]));
        var completed = coordinator.ExpectMsg<TrialCompleted>(HangGuard);
        Assert.Equal(("t1", 2, Node), (completed.TrialId, completed.Attempt, completed.NodeId));
        Assert.Equal(TrialSummary.From(TrialStatus.Completed, epochs.Select(e => e.Metrics).ToList(), completed.Summary.Seconds), completed.Summary);

        Assert.Equal(new RequestWork(Node, 0), coordinator.ExpectMsg<RequestWork>(HangGuard));
    }

    [Fact]
    public void The_reported_epochs_are_the_curve_of_training_the_trial_directly()
    {
        var coordinator = CreateTestProbe();
        var trainer = RegisteredTrainer(coordinator);
        var trial = Trial("t1", epochs: 3);
        Assign(trainer, coordinator, trial);
        ExpectStartedFromScratch(coordinator, "t1");
        var reported = Enumerable.Range(0, 3).Select(_ => coordinator.ExpectMsg<EpochCompleted>(HangGuard).Metrics with { Seconds = 0 }).ToList();

        var direct = new TrialTrainer(TrainingData.From(Reviews(Words)), CPU).Train(trial);
        Assert.Equal(direct.Epochs.Select(e => e with { Seconds = 0 }), reported);
        Assert.True(reported[^1].TrainLoss < reported[0].TrainLoss, "the tiny trial must learn, or the comparison shows little");
    }

    [Fact]
    public void A_trial_whose_dataset_cannot_load_is_reported_failed_with_the_reason()
    {
        var coordinator = CreateTestProbe();
        var trainer = RegisteredTrainer(coordinator);
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-word-index-{Guid.NewGuid():N}.json");
        Assign(trainer, coordinator, Trial("t1", epochs: 2, wordIndex: missing), attempt: 3);

        var failed = coordinator.ExpectMsg<TrialFailed>(HangGuard);
        Assert.Equal(("t1", 3, Node), (failed.TrialId, failed.Attempt, failed.NodeId));
        Assert.StartsWith(nameof(DataSourceException), failed.Reason);
        Assert.Contains(missing, failed.Reason);
        Assert.Contains("word index is not on this node", failed.Reason);
    }

    [Fact]
    public void A_trial_whose_training_throws_is_reported_failed_and_its_slot_asks_again()
    {
        var coordinator = CreateTestProbe();
        var trainer = RegisteredTrainer(coordinator);
        Assign(trainer, coordinator, Trial("t1", epochs: 2, optimizer: new OptimizerSpec("adagrad", 0.01)));

        var failed = coordinator.ExpectMsg<TrialFailed>(HangGuard);
        Assert.Equal(("t1", 1, Node), (failed.TrialId, failed.Attempt, failed.NodeId));
        Assert.Equal("ArgumentException: optimizer 'adagrad' is not known; allowed: adam, sgd, rmsprop", failed.Reason);
        Assert.Equal(new RequestWork(Node, 0), coordinator.ExpectMsg<RequestWork>(HangGuard));
    }

    [Fact]
    public void A_restarted_coordinator_makes_the_node_drop_its_running_trial_and_offer_the_slot_again()
    {
        var coordinator = CreateTestProbe();
        var trainer = RegisteredTrainer(coordinator);
        Assign(trainer, coordinator, Trial("t1", epochs: Endless));
        ExpectStartedFromScratch(coordinator, "t1");
        coordinator.ExpectMsg<EpochCompleted>(HangGuard); // It is training.

        trainer.Tell(new TrainerRegistered("coordinator-2", "sweep"), coordinator.Ref);
        // Epochs sent before the restart arrived may still be on their way; then the slot is offered again.
        Assert.Equal(new RequestWork(Node, 0), NextSkipping<RequestWork>(coordinator, m => IsEpochOf(m, "t1")));
        // The dropped trial, which sends an epoch every few milliseconds while it runs, is heard of no more.
        coordinator.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void A_dropped_runs_late_failure_is_not_reported_against_the_slots_next_trial()
    {
        var coordinator = CreateTestProbe();
        var trainer = RegisteredTrainer(coordinator);
        Assign(trainer, coordinator, Trial("t1", epochs: 2, numWords: GatedWords)); // Waits for its data.
        trainer.Tell(new TrainerRegistered("coordinator-2", "sweep"), coordinator.Ref);
        coordinator.ExpectMsg<RequestWork>(HangGuard);
        // The restarted coordinator reuses trial id and attempt number: only the node's run number tells them apart.
        Assign(trainer, coordinator, Trial("t1", epochs: 2, numWords: SecondGatedWords), incarnation: "coordinator-2");

        gate.SetException(new DataSourceException("imdb", "the old run's data failed late"));
        // A barrier: the node answers this only after handling what came before it; the slot is busy with the new run.
        Assign(trainer, coordinator, Trial("barrier", epochs: 1), incarnation: "coordinator-2");
        Assert.Equal(new TrialReturned("barrier", 1, Node), coordinator.ExpectMsg<TrialReturned>(HangGuard));

        secondGate.SetResult(Reviews(SecondGatedWords));
        ExpectStartedFromScratch(coordinator, "t1");
        Assert.Equal([1, 2], new[] { coordinator.ExpectMsg<EpochCompleted>(HangGuard), coordinator.ExpectMsg<EpochCompleted>(HangGuard) }
            .Select(e => e.Metrics.Epoch));
        ReceiveKeptFiles(coordinator);
        Assert.Equal(TrialStatus.Completed, coordinator.ExpectMsg<TrialCompleted>(HangGuard).Summary.Status);
        Assert.Equal(new RequestWork(Node, 0), coordinator.ExpectMsg<RequestWork>(HangGuard));
        coordinator.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void An_assignment_for_a_busy_slot_is_handed_straight_back_and_the_running_trial_goes_on()
    {
        var coordinator = CreateTestProbe();
        var trainer = RegisteredTrainer(coordinator);
        Assign(trainer, coordinator, Trial("t1", epochs: 2, numWords: GatedWords)); // Busy, waiting for its data.

        Assign(trainer, coordinator, Trial("t2", epochs: 2), attempt: 4);
        Assert.Equal(new TrialReturned("t2", 4, Node), coordinator.ExpectMsg<TrialReturned>(HangGuard));

        gate.SetResult(Reviews(GatedWords));
        ExpectStartedFromScratch(coordinator, "t1");
        Assert.All(new[] { coordinator.ExpectMsg<EpochCompleted>(HangGuard), coordinator.ExpectMsg<EpochCompleted>(HangGuard) },
            e => Assert.Equal("t1", e.TrialId));
        ReceiveKeptFiles(coordinator);
        Assert.Equal("t1", coordinator.ExpectMsg<TrialCompleted>(HangGuard).TrialId);
    }

    [Fact]
    public void Handing_back_returns_the_running_trial_and_stops_asking_for_work()
    {
        var coordinator = CreateTestProbe();
        var trainer = RegisteredTrainer(coordinator);
        Assign(trainer, coordinator, Trial("t1", epochs: Endless), attempt: 2);
        ExpectStartedFromScratch(coordinator, "t1", attempt: 2);
        coordinator.ExpectMsg<EpochCompleted>(HangGuard); // It is training.

        trainer.Tell(TrainerNodeActor.HandBack.Instance, TestActor);
        Assert.Equal(new TrialReturned("t1", 2, Node), NextSkipping<TrialReturned>(coordinator, m => IsEpochOf(m, "t1")));
        Assert.Equal(new TrainerNodeActor.HandedBack(1), ExpectMsg<TrainerNodeActor.HandedBack>(HangGuard));
        // Training stops (epochs in flight may still arrive): no result, and the freed slot asks for nothing.
        ExpectQuietAfter(coordinator, m => IsEpochOf(m, "t1"));
    }

    [Fact]
    public void A_node_that_has_handed_back_returns_new_assignments_and_asks_for_nothing()
    {
        var coordinator = CreateTestProbe();
        var trainer = RegisteredTrainer(coordinator);
        trainer.Tell(TrainerNodeActor.HandBack.Instance, TestActor);
        Assert.Equal(new TrainerNodeActor.HandedBack(0), ExpectMsg<TrainerNodeActor.HandedBack>(HangGuard));

        // The coordinator answers the request made before the hand-back: the trial comes straight back.
        Assign(trainer, coordinator, Trial("t1", epochs: 2));
        Assert.Equal(new TrialReturned("t1", 1, Node), coordinator.ExpectMsg<TrialReturned>(HangGuard));
        trainer.Tell(new TrainerRegistered("coordinator-2", "sweep"), coordinator.Ref);
        coordinator.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void A_new_coordinator_that_adopts_the_running_trial_gets_its_curve_again_and_the_trial_goes_on()
    {
        var coordinator = CreateTestProbe();
        var trainer = RegisteredTrainer(coordinator);
        Assign(trainer, coordinator, Trial("t1", epochs: Endless));
        ExpectStartedFromScratch(coordinator, "t1");
        coordinator.ExpectMsg<EpochCompleted>(HangGuard);
        coordinator.ExpectMsg<EpochCompleted>(HangGuard);

        trainer.Tell(new TrainerRegistered("coordinator-2", "sweep", ["t1"]), coordinator.Ref);
        var resent = NextSkipping<TrialStarted>(coordinator, m => IsEpochOf(m, "t1"));
        Assert.Equal(("t1", 1, Node), (resent.TrialId, resent.Attempt, resent.NodeId));
        Assert.True(resent.EarlierEpochs.Count >= 2, $"{resent.EarlierEpochs.Count} epochs sent again");
        Assert.Equal(Enumerable.Range(1, resent.EarlierEpochs.Count), resent.EarlierEpochs.Select(e => e.Epoch));
        Assert.Equal(resent.EarlierEpochs.Count, resent.ResumedAfterEpoch);
        // It trains on: the next epoch follows the ones sent again, and the slot is not offered.
        Assert.Equal(resent.ResumedAfterEpoch + 1, coordinator.ExpectMsg<EpochCompleted>(HangGuard).Metrics.Epoch);
    }

    [Fact]
    public void A_trials_end_goes_with_its_curve_and_again_with_every_heartbeat_until_the_coordinator_confirms_it()
    {
        var coordinator = CreateTestProbe();
        var trainer = Trainer(coordinator, registerInterval: TimeSpan.FromMilliseconds(300));
        coordinator.ExpectMsg<RegisterTrainer>(HangGuard);
        trainer.Tell(new TrainerRegistered(Incarnation, "sweep"), coordinator.Ref);
        coordinator.FishForMessage(m => m is RequestWork, HangGuard);
        Assign(trainer, coordinator, Trial("t1", epochs: 2));
        coordinator.FishForMessage(m => m is KeptFilePart, HangGuard);
        coordinator.Reply(new KeptFilePartReceived("t1", 1, KeptModelFiles.WeightsFileName("t1"), long.MaxValue, "not wanted here"));
        var end = (TrialCompleted)coordinator.FishForMessage(m => m is TrialCompleted, HangGuard);
        Assert.Equal([1, 2], end.Curve!.Select(e => e.Epoch));

        // Unconfirmed, it comes again with the next heartbeats.
        var again = (TrialCompleted)coordinator.FishForMessage(m => m is TrialCompleted, HangGuard);
        Assert.Equal((end.TrialId, end.Attempt), (again.TrialId, again.Attempt));
        trainer.Tell(new TrialCompletedReceived("t1", 1), coordinator.Ref);
        coordinator.FishForMessage(m => m is RegisterTrainer, HangGuard); // a heartbeat after the confirmation was handled
        coordinator.FishForMessage(m => m is RegisterTrainer, HangGuard);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(1))
            Assert.IsNotType<TrialCompleted>(coordinator.ReceiveOne(TimeSpan.FromMilliseconds(200)) ?? new object());
    }
}
