using GridSweep.Coordinator.Actors;

namespace GridSweep.Coordinator.Tests.Actors;

/// <summary>The streak, evidence and back-off rules of <see cref="TrainerQuarantine"/> on their own.</summary>
public sealed class TrainerQuarantineSpecs
{
    private static readonly QuarantineOptions Options = new(3, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(25));

    private static TrainerQuarantine Quarantined(out Quarantine first)
    {
        var judge = new TrainerQuarantine(Options);
        judge.Joined("healthy");
        judge.Joined("black-hole");
        for (var i = 1; i <= 3; i++)
            judge.Failed("black-hole", $"t{i}", 1, "broken");
        first = Assert.Single(judge.Completed("healthy"));
        return judge;
    }

    [Fact]
    public void A_completion_in_between_breaks_the_streak()
    {
        var judge = new TrainerQuarantine(Options);
        judge.Joined("healthy");
        judge.Joined("flaky");
        judge.Failed("flaky", "t1", 1, "x");
        judge.Failed("flaky", "t2", 1, "x");
        Assert.Empty(judge.Completed("flaky"));
        var verdict = judge.Failed("flaky", "t3", 1, "x");

        Assert.Null(verdict.Quarantined);
        Assert.Empty(judge.Completed("healthy"));
        Assert.Equal((NodeStanding.Ok, 1), (judge.Standing("flaky"), judge.Streak("flaky")));
    }

    [Fact]
    public void The_quarantine_excuses_the_whole_streak_and_each_failed_probation_doubles_it_up_to_the_cap()
    {
        var judge = Quarantined(out var first);
        Assert.Equal(["t1", "t2", "t3"], first.Excused.Select(e => e.TrialId));
        Assert.Equal(TimeSpan.FromMinutes(5), first.For);
        Assert.False(judge.MayTakeWork("black-hole", running: 0));

        var lengths = new List<TimeSpan>();
        for (var i = 0; i < 4; i++)
        {
            judge.BackOffOver("black-hole");
            Assert.True(judge.MayTakeWork("black-hole", running: 0));
            Assert.False(judge.MayTakeWork("black-hole", running: 1)); // One trial at a time on probation.
            var verdict = judge.Failed("black-hole", $"p{i}", 1, "broken");
            Assert.True(verdict.Excused);
            lengths.Add(verdict.Quarantined!.For);
        }
        Assert.Equal([10, 20, 25, 25], lengths.Select(l => l.TotalMinutes));

        judge.BackOffOver("black-hole");
        judge.Completed("black-hole");
        Assert.Equal(NodeStanding.Ok, judge.Standing("black-hole"));
        Assert.True(judge.MayTakeWork("black-hole", running: 3));
    }

    [Fact]
    public void A_lone_node_is_never_suspected_and_its_failures_count_at_once()
    {
        var judge = new TrainerQuarantine(Options);
        judge.Joined("only");
        for (var i = 1; i <= 5; i++)
        {
            var verdict = judge.Failed("only", $"t{i}", 1, "x");
            Assert.Equal((null, true, false), (verdict.Quarantined, verdict.Settled, verdict.Excused));
        }
        Assert.Equal(NodeStanding.Ok, judge.Standing("only"));
    }

    [Fact]
    public void A_suspect_whose_judge_leaves_takes_work_again()
    {
        var judge = new TrainerQuarantine(Options);
        judge.Joined("healthy");
        judge.Joined("suspect");
        for (var i = 1; i <= 3; i++)
            judge.Failed("suspect", $"t{i}", 1, "x");
        Assert.Equal(NodeStanding.Suspect, judge.Standing("suspect"));

        Assert.Equal(["suspect"], judge.Left("healthy"));
        Assert.Equal(NodeStanding.Ok, judge.Standing("suspect"));
    }

    [Fact]
    public void Turned_off_it_never_quarantines()
    {
        var judge = new TrainerQuarantine(Options with { After = 0 });
        judge.Joined("healthy");
        judge.Joined("black-hole");
        for (var i = 1; i <= 10; i++)
            Assert.Equal(new FailureVerdict(null, Settled: true), judge.Failed("black-hole", $"t{i}", 1, "x"));
        Assert.Empty(judge.Completed("healthy"));
        Assert.True(judge.MayTakeWork("black-hole", running: 0));
    }
}
