using Akka.Actor;
using Akka.TestKit.Xunit2;
using GridSweep.Coordinator.Actors;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Files;
using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests.Actors;

/// <summary>The coordinator's rules, with test probes standing in for trainer nodes.</summary>
public sealed class SweepCoordinatorActorSpecs : Akka.TestKit.Xunit2.TestKit
{
    private readonly TempDirectory directory = new("gridsweep-coordinator");
    private readonly RunFolder results;

    public SweepCoordinatorActorSpecs() : base("akka.loglevel = WARNING") => results = RunFolder.Open(directory.Path);

    protected override void AfterAll()
    {
        base.AfterAll();
        results.Dispose();
        directory.Dispose();
    }

    private static TrialSpec Trial(string id) => new(id, "sweep", "baseline", "none", "adam", 1,
        new ModelSpec([16, 16]), RegularizerSpec.None, new OptimizerSpec("adam", 0.001), 2, 512, InputLayer.Sparse, new DatasetSpec("imdb", 10000));

    private static readonly EpochMetrics[] Curve = [new(1, 0.5, 0, 0.4, 0.8, 0.85, 1), new(2, 0.3, 0, 0.35, 0.9, 0.87, 1)];

    private IActorRef Coordinator(int maxRetries = 2, params string[] ids) =>
        Sys.ActorOf(SweepCoordinatorActor.Props("sweep", ids.Select(Trial).ToList(), RunFolderSource.Opened(results), new SweepCoordinatorActor.Options(maxRetries)));

    private static AssignTrial Register(IActorRef coordinator, Akka.TestKit.TestProbe trainer, string node, int slot = 0)
    {
        trainer.IgnoreMessages(message => message is TrialCompletedReceived);
        coordinator.Tell(new RegisterTrainer(node, 1, "cpu"), trainer);
        trainer.ExpectMsg<TrainerRegistered>();
        coordinator.Tell(new RequestWork(node, slot), trainer);
        return trainer.ExpectMsg<AssignTrial>();
    }

    private void Finish(IActorRef coordinator, Akka.TestKit.TestProbe trainer, AssignTrial assignment, TrialStatus status = TrialStatus.Completed)
    {
        coordinator.Tell(new TrialStarted(assignment.Trial.Id, assignment.Attempt, "n", 0, []), trainer);
        foreach (var epoch in Curve)
            coordinator.Tell(new EpochCompleted(assignment.Trial.Id, assignment.Attempt, "n", epoch), trainer);
        coordinator.Tell(new TrialCompleted(assignment.Trial.Id, assignment.Attempt, "n", TrialSummary.From(status, Curve, 2)), trainer);
    }

    [Fact]
    public void Work_is_handed_out_only_when_a_slot_asks_for_it()
    {
        var coordinator = Coordinator(ids: ["t1", "t2"]);
        var trainer = CreateTestProbe();
        coordinator.Tell(new RegisterTrainer("n", 2, "cpu"), trainer);
        trainer.ExpectMsg<TrainerRegistered>();
        trainer.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        coordinator.Tell(new RequestWork("n", 1), trainer);
        Assert.Equal(("t1", 1), trainer.ExpectMsg<AssignTrial>() is var a ? (a.Trial.Id, a.Slot) : default);
    }

    [Fact]
    public void A_failed_trial_is_retried_up_to_the_limit_and_then_recorded_with_every_reason()
    {
        var coordinator = Coordinator(maxRetries: 1, ids: ["t1"]);
        var trainer = CreateTestProbe();
        var first = Register(coordinator, trainer, "n");
        coordinator.Tell(new TrialFailed("t1", first.Attempt, "n", "out of memory"), trainer);
        coordinator.Tell(new RequestWork("n", 0), trainer);
        var second = trainer.ExpectMsg<AssignTrial>();
        Assert.Equal(("t1", 2), (second.Trial.Id, second.Attempt));

        Sys.EventStream.Subscribe(TestActor, typeof(SweepFinished));
        coordinator.Tell(new TrialFailed("t1", second.Attempt, "n", "out of memory again"), trainer);
        var finished = ExpectMsg<SweepFinished>();
        Assert.Equal(1, finished.Failed);
        var error = Assert.Single(finished.Finished).Summary.Error;
        Assert.Contains("attempt 1 on n: out of memory", error);
        Assert.Contains("attempt 2 on n: out of memory again", error);
    }

    [Fact]
    public void A_diverged_trial_is_recorded_and_not_retried()
    {
        var coordinator = Coordinator(ids: ["t1"]);
        var trainer = CreateTestProbe();
        Sys.EventStream.Subscribe(TestActor, typeof(SweepFinished));
        Finish(coordinator, trainer, Register(coordinator, trainer, "n"), TrialStatus.Diverged);
        var finished = ExpectMsg<SweepFinished>();
        Assert.Equal((1, 0, 0), (finished.Diverged, finished.Completed, finished.Failed));
    }

    [Fact]
    public void A_lost_trainers_trial_goes_to_a_waiting_slot_and_its_late_results_are_ignored()
    {
        var coordinator = Coordinator(ids: ["t1"]);
        var doomed = CreateTestProbe();
        var survivor = CreateTestProbe();
        var assignment = Register(coordinator, doomed, "doomed");
        coordinator.Tell(new EpochCompleted("t1", assignment.Attempt, "doomed", Curve[0]), doomed);
        coordinator.Tell(new RegisterTrainer("survivor", 1, "cpu"), survivor);
        survivor.ExpectMsg<TrainerRegistered>();
        coordinator.Tell(new RequestWork("survivor", 0), survivor);
        survivor.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Sys.Stop(doomed.Ref);
        var again = survivor.ExpectMsg<AssignTrial>();
        Assert.Equal(("t1", 2), (again.Trial.Id, again.Attempt));

        // The old attempt's result arrives late: it must not count.
        Sys.EventStream.Subscribe(TestActor, typeof(TrialRecorded));
        coordinator.Tell(new TrialCompleted("t1", assignment.Attempt, "doomed", TrialSummary.From(TrialStatus.Completed, Curve, 2)), survivor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Finish(coordinator, survivor, again);
        ExpectMsg<TrialRecorded>();
        results.Flush();
        var epochs = RunFolder.ReadRows(Path.Combine(directory.Path, RunFolder.EpochsFile), RunFolder.EpochColumns);
        Assert.Equal(["1", "2"], epochs.Select(e => e["epoch"]));
    }

    [Fact]
    public void A_lost_trainers_trial_resumed_elsewhere_keeps_the_epochs_its_checkpoint_has_and_records_only_the_rest()
    {
        var coordinator = Coordinator(ids: ["t1"]);
        var doomed = CreateTestProbe();
        var survivor = CreateTestProbe();
        var assignment = Register(coordinator, doomed, "doomed");
        coordinator.Tell(new TrialStarted("t1", assignment.Attempt, "doomed", 0, []), doomed);
        coordinator.Tell(new EpochCompleted("t1", assignment.Attempt, "doomed", Curve[0]), doomed);
        Sys.Stop(doomed.Ref);
        var again = Register(coordinator, survivor, "survivor");
        Sys.EventStream.Subscribe(TestActor, typeof(TrialResumed));
        Sys.EventStream.Subscribe(TestActor, typeof(TrialRecorded));

        coordinator.Tell(new TrialStarted("t1", again.Attempt, "survivor", 1, [Curve[0]]), survivor);
        coordinator.Tell(new EpochCompleted("t1", again.Attempt, "survivor", Curve[1]), survivor);
        coordinator.Tell(new TrialCompleted("t1", again.Attempt, "survivor", TrialSummary.From(TrialStatus.Completed, Curve, 2)), survivor);

        Assert.Equal(("t1", "survivor", 1), ExpectMsg<TrialResumed>() is var r ? (r.Trial.Id, r.NodeId, r.AfterEpoch) : default);
        ExpectMsg<TrialRecorded>();
        results.Flush();
        var epochs = RunFolder.ReadRows(Path.Combine(directory.Path, RunFolder.EpochsFile), RunFolder.EpochColumns);
        Assert.Equal([("1", "0.5"), ("2", "0.3")], epochs.Select(e => (e["epoch"], e["train_loss"])));
    }

    [Fact]
    public void A_running_trials_kept_file_arrives_piece_by_piece_and_takes_its_name_only_when_whole()
    {
        var coordinator = Coordinator(ids: ["t1"]);
        var trainer = CreateTestProbe();
        var assignment = Register(coordinator, trainer, "n");
        var bytes = Enumerable.Range(0, 150_000).Select(i => (byte)(i * 7)).ToArray();
        var models = Path.Combine(directory.Path, KeptModelFiles.Folder);

        coordinator.Tell(new KeptFilePart("t1", assignment.Attempt, "t1.safetensors", 0, bytes[..100_000], Last: false), trainer);
        Assert.Equal(100_000, trainer.ExpectMsg<KeptFilePartReceived>().NextOffset);
        Assert.False(File.Exists(Path.Combine(models, "t1.safetensors")), "a partial file took the kept file's name");
        // A piece sent again (its answer lost) is written once.
        coordinator.Tell(new KeptFilePart("t1", assignment.Attempt, "t1.safetensors", 0, bytes[..100_000], Last: false), trainer);
        Assert.Equal(100_000, trainer.ExpectMsg<KeptFilePartReceived>().NextOffset);
        coordinator.Tell(new KeptFilePart("t1", assignment.Attempt, "t1.safetensors", 100_000, bytes[100_000..], Last: true), trainer);

        var last = trainer.ExpectMsg<KeptFilePartReceived>();
        Assert.Equal((150_000L, (string?)null), (last.NextOffset, last.Error));
        Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(models, "t1.safetensors")));
        Assert.Equal(["t1.safetensors"], Directory.GetFiles(models).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("../../escape.json", "not a kept file name")]
    [InlineData("t2.safetensors", "not a kept file name")]
    [InlineData("t1.exe", "not a kept file name")]
    public void A_kept_file_whose_name_is_not_its_trials_is_refused(string fileName, string error)
    {
        var coordinator = Coordinator(ids: ["t1"]);
        var trainer = CreateTestProbe();
        var assignment = Register(coordinator, trainer, "n");

        coordinator.Tell(new KeptFilePart("t1", assignment.Attempt, fileName, 0, [1, 2, 3], Last: true), trainer);

        Assert.Contains(error, trainer.ExpectMsg<KeptFilePartReceived>().Error);
        Assert.False(Directory.Exists(Path.Combine(directory.Path, KeptModelFiles.Folder)) &&
            Directory.EnumerateFileSystemEntries(Path.Combine(directory.Path, KeptModelFiles.Folder)).Any());
    }

    [Fact]
    public void Kept_files_of_an_attempt_that_is_not_running_and_pieces_after_a_gap_are_refused()
    {
        var coordinator = Coordinator(ids: ["t1"]);
        var trainer = CreateTestProbe();
        var assignment = Register(coordinator, trainer, "n");

        coordinator.Tell(new KeptFilePart("t1", assignment.Attempt + 1, "t1.json", 0, [1], Last: true), trainer);
        Assert.Contains("is not running here", trainer.ExpectMsg<KeptFilePartReceived>().Error);
        coordinator.Tell(new KeptFilePart("t1", assignment.Attempt, "t1.json", 10, [1], Last: true), trainer);
        Assert.Contains("follows a gap", trainer.ExpectMsg<KeptFilePartReceived>().Error);
    }

    [Fact]
    public void A_trial_handed_back_runs_again_first()
    {
        var coordinator = Coordinator(ids: ["t1", "t2"]);
        var trainer = CreateTestProbe();
        var first = Register(coordinator, trainer, "n");
        coordinator.Tell(new TrialReturned("t1", first.Attempt, "n"), trainer);
        coordinator.Tell(new RequestWork("n", 0), trainer);
        Assert.Equal("t1", trainer.ExpectMsg<AssignTrial>().Trial.Id);
    }

    [Fact]
    public void Status_counts_queued_running_and_finished_trials_per_node()
    {
        var coordinator = Coordinator(ids: ["t1", "t2", "t3"]);
        var trainer = CreateTestProbe();
        Finish(coordinator, trainer, Register(coordinator, trainer, "n"));
        coordinator.Tell(new RequestWork("n", 0), trainer);
        trainer.ExpectMsg<AssignTrial>();
        coordinator.Tell(GetSweepStatus.Instance, TestActor);
        var status = ExpectMsg<SweepStatusResponse>();
        Assert.Equal((3, 1, 1, 1), (status.Total, status.Queued, status.Running, status.Completed));
        var node = Assert.Single(status.Nodes);
        Assert.Equal(("n", 1, 1), (node.NodeId, node.Running, node.Completed));
        // The best so far is the finished trial at its lowest validation loss, with the binary task's metric there.
        Assert.Equal(new BestTrial("t1", "baseline", "none", 2, 0.35, "val_accuracy", 0.87), status.Best);
    }

    [Fact]
    public void Status_has_no_best_trial_before_one_completes()
    {
        var coordinator = Coordinator(ids: ["t1"]);
        coordinator.Tell(GetSweepStatus.Instance, TestActor);
        Assert.Null(ExpectMsg<SweepStatusResponse>().Best);
    }

    /// <summary>A ledger in its own folder whose trial t1 had attempt 3 out on n1 with one epoch recorded, as a coordinator that died left it.</summary>
    private RunFolderSource LedgerWithAnAttemptOut(TempDirectory folder)
    {
        using (var before = RunFolder.Open(folder.Path, [Trial("t1"), Trial("t2")]))
        {
            before.StartAttempt(Trial("t1"), 3, "n1");
            before.AppendEpoch(Trial("t1"), Curve[0]);
        }
        return RunFolderSource.Opened(RunFolder.Open(folder.Path, [Trial("t1"), Trial("t2")]));
    }

    private IActorRef TakingOver(RunFolderSource source, TimeSpan grace) =>
        Sys.ActorOf(SweepCoordinatorActor.Props("sweep", [Trial("t1"), Trial("t2")], source, new SweepCoordinatorActor.Options(2, AdoptionGrace: grace)));

    [Fact]
    public void A_coordinator_that_takes_over_adopts_an_attempt_still_out_when_its_trainer_comes_back_and_trains_it_nowhere_else()
    {
        using var folder = new TempDirectory("gridsweep-takeover");
        var source = LedgerWithAnAttemptOut(folder);
        using var _ = source.Current;
        var coordinator = TakingOver(source, TimeSpan.FromMinutes(1));
        var trainer = CreateTestProbe();
        Sys.EventStream.Subscribe(TestActor, typeof(TrialRecorded));

        coordinator.Tell(new RegisterTrainer("n1", 2, "cpu", Running: [new RunningAttempt("t1", 3)]), trainer);
        Assert.Equal(["t1"], trainer.ExpectMsg<TrainerRegistered>().Adopted);
        coordinator.Tell(new RequestWork("n1", 1), trainer);
        var other = trainer.ExpectMsg<AssignTrial>();
        Assert.Equal(("t2", 1), (other.Trial.Id, other.Attempt));

        // The trainer's curve again (an epoch was lost on the way), then its end.
        coordinator.Tell(new TrialStarted("t1", 3, "n1", 2, Curve), trainer);
        coordinator.Tell(new TrialCompleted("t1", 3, "n1", TrialSummary.From(TrialStatus.Completed, Curve, 2)), trainer);
        Assert.Equal(("t1", 3), trainer.ExpectMsg<TrialCompletedReceived>() is var r ? (r.TrialId, r.Attempt) : default);
        Assert.Equal("t1", ExpectMsg<TrialRecorded>().Trial.Id);
        Assert.Equal([1, 2], source.Current!.RecordedEpochs("t1").Select(e => e.Epoch));
        coordinator.Tell(new RequestWork("n1", 0), trainer);
        trainer.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // t1 is not handed out again
    }

    [Fact]
    public void An_end_that_arrives_before_its_trainer_registers_again_is_taken_with_its_curve_and_confirmed_once_and_for_all()
    {
        using var folder = new TempDirectory("gridsweep-takeover");
        var source = LedgerWithAnAttemptOut(folder);
        using var _ = source.Current;
        var coordinator = TakingOver(source, TimeSpan.FromMinutes(1));
        var trainer = CreateTestProbe();
        Sys.EventStream.Subscribe(TestActor, typeof(TrialRecorded));

        var end = new TrialCompleted("t1", 3, "n1", TrialSummary.From(TrialStatus.Completed, Curve, 2), Curve);
        coordinator.Tell(end, trainer);
        trainer.ExpectMsg<TrialCompletedReceived>();
        ExpectMsg<TrialRecorded>();
        coordinator.Tell(end, trainer); // sent again: its confirmation was lost
        trainer.ExpectMsg<TrialCompletedReceived>();
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal([1, 2], source.Current!.RecordedEpochs("t1").Select(e => e.Epoch));
        Assert.Contains("t1", source.Current.Finished);
    }

    [Fact]
    public void An_attempt_whose_trainer_does_not_come_back_is_queued_again_after_the_grace_with_the_next_attempt_number()
    {
        using var folder = new TempDirectory("gridsweep-takeover");
        var source = LedgerWithAnAttemptOut(folder);
        using var _ = source.Current;
        var coordinator = TakingOver(source, TimeSpan.FromMilliseconds(500));
        var trainer = CreateTestProbe();

        coordinator.Tell(new RegisterTrainer("n2", 2, "cpu", Running: []), trainer);
        Assert.Empty(trainer.ExpectMsg<TrainerRegistered>().Adopted!);
        coordinator.Tell(new RequestWork("n2", 0), trainer);
        Assert.Equal("t2", trainer.ExpectMsg<AssignTrial>().Trial.Id);
        coordinator.Tell(new RequestWork("n2", 1), trainer);
        var again = trainer.ExpectMsg<AssignTrial>(TimeSpan.FromSeconds(10));
        Assert.Equal(("t1", 4), (again.Trial.Id, again.Attempt));
    }
}
