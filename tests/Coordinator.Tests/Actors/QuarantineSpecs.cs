using Akka.Actor;
using Akka.TestKit;
using GridSweep.Coordinator.Actors;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Files;
using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests.Actors;

/// <summary>
/// Black-hole trainers: the coordinator's rules for a node that fails trial after trial, with test probes standing in
/// for trainer nodes and a real ledger.
/// </summary>
public sealed class QuarantineSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Long = TimeSpan.FromHours(1);
    private readonly TempDirectory directory = new("gridsweep-quarantine");

    public QuarantineSpecs() : base("akka.loglevel = WARNING")
    {
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        directory.Dispose();
    }

    private static TrialSpec Trial(string id) => new(id, "sweep", "baseline", "none", "adam", 1,
        new ModelSpec([16, 16]), RegularizerSpec.None, new OptimizerSpec("adam", 0.001), 2, 512, InputLayer.Sparse, new DatasetSpec("imdb", 10000));

    private static readonly EpochMetrics[] Curve = [new(1, 0.5, 0, 0.4, 0.8, 0.85, 1), new(2, 0.3, 0, 0.35, 0.9, 0.87, 1)];

    private static string[] Ids(int count) => Enumerable.Range(1, count).Select(i => $"t{i}").ToArray();

    private IActorRef Coordinator(RunFolder results, int maxRetries, TimeSpan backOff, params string[] ids) =>
        Sys.ActorOf(SweepCoordinatorActor.Props("sweep", ids.Select(Trial).ToList(), RunFolderSource.Opened(results),
            new SweepCoordinatorActor.Options(maxRetries, Quarantine: new QuarantineOptions(3, backOff, Long))));

    private static void Join(IActorRef coordinator, TestProbe trainer, string node, int slots = 1)
    {
        trainer.IgnoreMessages(message => message is TrialCompletedReceived);
        coordinator.Tell(new RegisterTrainer(node, slots, "cpu"), trainer);
        trainer.ExpectMsg<TrainerRegistered>();
    }

    private static AssignTrial Ask(IActorRef coordinator, TestProbe trainer, string node, int slot = 0)
    {
        coordinator.Tell(new RequestWork(node, slot), trainer);
        return trainer.ExpectMsg<AssignTrial>();
    }

    private static void Complete(IActorRef coordinator, TestProbe trainer, string node, AssignTrial assignment)
    {
        coordinator.Tell(new TrialStarted(assignment.Trial.Id, assignment.Attempt, node, 0, []), trainer);
        coordinator.Tell(new TrialCompleted(assignment.Trial.Id, assignment.Attempt, node, TrialSummary.From(TrialStatus.Completed, Curve, 2), Curve), trainer);
    }

    private static void Fail(IActorRef coordinator, TestProbe trainer, string node, AssignTrial assignment) =>
        coordinator.Tell(new TrialFailed(assignment.Trial.Id, assignment.Attempt, node, "DataSourceException: broken.csv line 7: 3 fields, 14 expected"), trainer);

    private NodeStatus StatusOf(IActorRef coordinator, string node)
    {
        coordinator.Tell(GetSweepStatus.Instance, TestActor);
        return ExpectMsg<SweepStatusResponse>().Nodes.Single(n => n.NodeId == node);
    }

    [Fact]
    public void A_node_that_fails_three_trials_in_a_row_while_another_completes_gets_no_work_and_costs_no_trial_a_retry()
    {
        using var results = RunFolder.Open(directory.Combine("black-hole"));
        // No retries at all: any failure that counted would end its trial as failed.
        var coordinator = Coordinator(results, maxRetries: 0, Long, Ids(5));
        Sys.EventStream.Subscribe(TestActor, typeof(SweepFinished));
        var healthy = CreateTestProbe();
        var blackHole = CreateTestProbe();
        Join(coordinator, healthy, "healthy");
        var first = Ask(coordinator, healthy, "healthy");
        Join(coordinator, blackHole, "black-hole");

        var failedThere = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var assignment = Ask(coordinator, blackHole, "black-hole");
            failedThere.Add(assignment.Trial.Id);
            Fail(coordinator, blackHole, "black-hole", assignment);
        }
        // Three in a row while the healthy node has not finished anything yet: it waits for the evidence, with no work.
        coordinator.Tell(new RequestWork("black-hole", 0), blackHole);
        blackHole.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(NodeStatus.Suspect, StatusOf(coordinator, "black-hole").Standing);

        Complete(coordinator, healthy, "healthy", first);
        var quarantined = StatusOf(coordinator, "black-hole");
        Assert.Equal(NodeStatus.Quarantined, quarantined.Standing);
        Assert.Contains("failed 3 trials in a row while other nodes completed trials", quarantined.Reason);
        Assert.Contains("broken.csv line 7", quarantined.Reason);
        Assert.True(quarantined.QuarantinedUntil > DateTimeOffset.UtcNow.AddMinutes(50), $"until {quarantined.QuarantinedUntil}");

        for (var i = 0; i < 4; i++)
            Complete(coordinator, healthy, "healthy", Ask(coordinator, healthy, "healthy"));
        var finished = ExpectMsg<SweepFinished>();
        // Every trainer hears that the sweep is over; the black hole heard nothing else, no trial among it.
        blackHole.ExpectMsg<SweepEnded>();
        blackHole.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal((5, 0), (finished.Completed, finished.Failed));
        Assert.All(finished.Finished, f => Assert.Null(f.Summary.Error)); // Not even a note of the black hole's failures.
        Assert.Equal(3, failedThere.Distinct().Count());
        Assert.Equal(0, StatusOf(coordinator, "black-hole").Completed);
    }

    [Fact]
    public void When_every_node_fails_nothing_is_quarantined_and_the_trials_fail_with_their_retries_used()
    {
        using var results = RunFolder.Open(directory.Combine("all-fail"));
        var coordinator = Coordinator(results, maxRetries: 1, Long, Ids(2));
        Sys.EventStream.Subscribe(TestActor, typeof(SweepFinished));
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        Join(coordinator, a, "a");
        Join(coordinator, b, "b");

        // Each node takes what it is given and fails it, until the sweep ends.
        SweepFinished? finished = null;
        for (var round = 0; round < 40 && finished is null; round++)
        {
            foreach (var (probe, node) in new[] { (a, "a"), (b, "b") })
            {
                coordinator.Tell(new RequestWork(node, 0), probe);
                if (probe.ReceiveOne(TimeSpan.FromMilliseconds(200)) is AssignTrial assignment)
                    Fail(coordinator, probe, node, assignment);
            }
            finished = ReceiveOne(TimeSpan.FromMilliseconds(50)) as SweepFinished;
        }

        Assert.NotNull(finished);
        Assert.Equal((0, 2), (finished.Completed, finished.Failed));
        Assert.All(finished.Finished, f => Assert.Contains("attempt 2", f.Summary.Error));
        Assert.Equal(NodeStatus.Ok, StatusOf(coordinator, "a").Standing);
        Assert.Equal(NodeStatus.Ok, StatusOf(coordinator, "b").Standing);
    }

    [Fact]
    public void After_its_back_off_a_quarantined_node_gets_one_trial_and_failing_it_quarantines_it_again_for_twice_as_long()
    {
        using var results = RunFolder.Open(directory.Combine("probation"));
        var backOff = TimeSpan.FromSeconds(3);
        var coordinator = Coordinator(results, maxRetries: 2, backOff, Ids(8));
        var healthy = CreateTestProbe();
        var blackHole = CreateTestProbe();
        Join(coordinator, healthy, "healthy");
        var running = Ask(coordinator, healthy, "healthy");
        Join(coordinator, blackHole, "black-hole", slots: 2);
        for (var i = 0; i < 3; i++)
            Fail(coordinator, blackHole, "black-hole", Ask(coordinator, blackHole, "black-hole"));
        Complete(coordinator, healthy, "healthy", running);
        Assert.Equal(NodeStatus.Quarantined, StatusOf(coordinator, "black-hole").Standing);

        // Both slots ask; after the back-off only one trial comes, as probation.
        coordinator.Tell(new RequestWork("black-hole", 0), blackHole);
        coordinator.Tell(new RequestWork("black-hole", 1), blackHole);
        blackHole.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        var probation = blackHole.ExpectMsg<AssignTrial>(TimeSpan.FromSeconds(10));
        blackHole.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(NodeStatus.Probation, StatusOf(coordinator, "black-hole").Standing);

        var before = DateTimeOffset.UtcNow;
        Fail(coordinator, blackHole, "black-hole", probation);
        var again = StatusOf(coordinator, "black-hole");
        Assert.Equal(NodeStatus.Quarantined, again.Standing);
        Assert.Contains("failed its probation trial", again.Reason);
        Assert.True(again.QuarantinedUntil >= before + 2 * backOff, $"until {again.QuarantinedUntil:O}, failed at {before:O}");
        coordinator.Tell(new RequestWork("black-hole", probation.Slot), blackHole); // As a trainer's freed slot does.

        // The second back-off over, a probation trial completed: the node is trusted again, every slot gets work.
        var second = blackHole.ExpectMsg<AssignTrial>(TimeSpan.FromSeconds(15));
        Complete(coordinator, blackHole, "black-hole", second);
        blackHole.ExpectMsg<AssignTrial>(TimeSpan.FromSeconds(5));
        coordinator.Tell(new RequestWork("black-hole", second.Slot), blackHole);
        blackHole.ExpectMsg<AssignTrial>(TimeSpan.FromSeconds(5));
        Assert.Equal(NodeStatus.Ok, StatusOf(coordinator, "black-hole").Standing);
    }

    [Fact]
    public void A_resumed_sweep_counts_retries_as_the_ledger_left_them_excused_attempts_not_among_them()
    {
        var folder = directory.Combine("resume");
        using (var results = RunFolder.Open(folder, Ids(6).Select(Trial)))
        {
            var coordinator = Coordinator(results, maxRetries: 1, Long, Ids(6));
            var healthy = CreateTestProbe();
            var blackHole = CreateTestProbe();
            Join(coordinator, healthy, "healthy", slots: 2);
            var running = Ask(coordinator, healthy, "healthy");                                      // t1
            Fail(coordinator, healthy, "healthy", Ask(coordinator, healthy, "healthy", slot: 1));    // t2: counts
            Join(coordinator, blackHole, "black-hole");
            for (var i = 0; i < 3; i++)
                Fail(coordinator, blackHole, "black-hole", Ask(coordinator, blackHole, "black-hole")); // t3, t4, t5: excused
            Complete(coordinator, healthy, "healthy", running);
            Assert.Equal(NodeStatus.Quarantined, StatusOf(coordinator, "black-hole").Standing);
            Watch(coordinator);
            Sys.Stop(coordinator);
            ExpectTerminated(coordinator);
        }

        using var reopened = RunFolder.Open(folder, Ids(6).Select(Trial));
        Assert.Equal([(1, "healthy", false)], reopened.Failures["t2"].Select(f => (f.Attempt, f.NodeId, f.Excused)));
        foreach (var id in new[] { "t3", "t4", "t5" })
            Assert.Equal([(1, "black-hole", true)], reopened.Failures[id].Select(f => (f.Attempt, f.NodeId, f.Excused)));

        // One retry each: t2 has used its own; an excused attempt used none.
        var resumed = Coordinator(reopened, maxRetries: 1, Long, Ids(6));
        Sys.EventStream.Subscribe(TestActor, typeof(TrialRecorded));
        var trainer = CreateTestProbe();
        Join(resumed, trainer, "other");
        var outcomes = new Dictionary<string, TrialStatus>();
        for (var i = 0; i < 5; i++)
        {
            var assignment = Ask(resumed, trainer, "other");
            if (assignment.Trial.Id is "t2" or "t3")
                Fail(resumed, trainer, "other", assignment);
            else
                Complete(resumed, trainer, "other", assignment);
            if (assignment.Trial.Id != "t3")
            {
                var recorded = ExpectMsg<TrialRecorded>();
                outcomes[recorded.Trial.Id] = recorded.Summary.Status;
            }
        }
        Assert.Equal(TrialStatus.Failed, outcomes["t2"]);
        Assert.DoesNotContain("t3", outcomes.Keys); // Failed once, counted once: it runs again.
        Assert.Equal(TrialStatus.Completed, outcomes["t4"]);
        Assert.Equal("t3", Ask(resumed, trainer, "other").Trial.Id);
    }
}
