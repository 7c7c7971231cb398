using Akka.Actor;
using Akka.Event;
using GridSweep.Coordinator.Aggregates;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Configuration;
using GridSweep.Runtime.Files;
using GridSweep.Runtime.Metrics;

namespace GridSweep.Coordinator.Actors;

/// <summary>
/// Runs one sweep: keeps the queue of trials, hands one to each free trainer slot that asks (pull, so a fast
/// GPU never waits on a slow one), records every epoch and result in the run folder, and re-queues the
/// trials of trainers that are lost or leave. The run folder's ledger is its durable memory, written off this actor's
/// thread: a coordinator restarted on the same ledger skips the trials finished there and runs the rest, including
/// those that were in flight.
/// </summary>
public sealed class SweepCoordinatorActor : ReceiveActor, IWithTimers
{
    /// <param name="Metrics">When given, every trial's queued state goes to InfluxDB (trainers write the rest of its states
    /// and its epochs), and so do the grid's aggregates (<see cref="GridAggregates"/>).</param>
    /// <param name="AdoptionGrace">How long attempts that were out when this coordinator started wait for their trainers
    /// to come back and be adopted before they are queued again: zero where no trainer outlives the coordinator
    /// (<c>gridsweep run</c>), some heartbeats on a cluster.</param>
    /// <param name="Quarantine">When a node that fails trial after trial gets no work (<see cref="TrainerQuarantine"/>); default
    /// <see cref="QuarantineOptions.Default"/>.</param>
    public sealed record Options(int MaxRetries, MetricsWriter? Metrics = null, TimeSpan AdoptionGrace = default, QuarantineOptions? Quarantine = null);

    private sealed record TrainerLost(IActorRef Trainer);

    private sealed record QuarantineOver(string NodeId);

    /// <summary>A failed attempt that counts against its trial's retries (an excused one is dropped from the list).</summary>
    private sealed record Failure(int Attempt, string NodeId, string Reason)
    {
        public override string ToString() => $"attempt {Attempt} on {NodeId}: {Reason}";
    }

    private sealed class OpenLedger
    {
        public static readonly OpenLedger Instance = new();
    }

    private sealed class AdoptionOver
    {
        public static readonly AdoptionOver Instance = new();
    }

    private sealed record Flushed(SweepFinished Outcome);

    /// <summary>The run folder's disk filled up: nothing more can be recorded, so the sweep stops (and resumes when run again).</summary>
    private sealed record WritingStopped(StorageFullException Error);

    private sealed record RecordLoaded(RecordedResults? Recorded, Exception? Error);

    private sealed class WriteAggregates
    {
        public static readonly WriteAggregates Instance = new();
    }

    /// <summary>How often the aggregates' changed points are written, and how many at most each time.</summary>
    private static readonly TimeSpan AggregatesInterval = TimeSpan.FromMilliseconds(250);
    private const int MaxAggregatePointsPerWrite = 20_000;

    private sealed record Trainer(string NodeId, string Device, int Slots)
    {
        public int Completed { get; set; }
        public int Failed { get; set; }
    }

    /// <param name="Adopted">Given out by an earlier coordinator and taken over: its trainer's next TrialStarted sends its curve again.</param>
    private sealed record InFlight(TrialSpec Trial, int Attempt, IActorRef Trainer, string NodeId, bool Adopted = false);

    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly string sweep;
    private readonly RunFolderSource source;
    private readonly IReadOnlyList<TrialSpec> allTrials;
    private readonly Options options;
    private readonly string incarnation = Guid.NewGuid().ToString("N")[..12];

    private readonly Dictionary<string, TrialSpec> trials;
    private RunFolder results = null!;
    private LinkedList<TrialSpec> queue = [];
    private readonly Dictionary<string, InFlight> inFlight = [];
    // Attempts that were out when this coordinator started, by trial: adopted when their trainer comes back.
    private readonly Dictionary<string, (int Attempt, string NodeId)> unclaimed = [];
    private readonly Dictionary<string, int> attempts = [];
    private readonly Dictionary<string, List<Failure>> failureReasons = [];
    private readonly TrainerQuarantine quarantine;
    // When each quarantined node gets work again, for status.
    private readonly Dictionary<string, DateTimeOffset> quarantinedUntil = [];
    private readonly Dictionary<IActorRef, Trainer> trainers = [];
    private readonly HashSet<string> refusedNodes = [];
    private readonly LinkedList<(IActorRef Trainer, int Slot)> idleSlots = [];
    private readonly List<(TrialSpec, TrialSummary)> finished = [];
    private int skipped;
    private bool waitingSaid;
    private int completed, diverged, failed, started;
    private BestTrial? best;
    private IActorRef keptFiles = ActorRefs.Nobody;
    private bool done;
    private readonly GridAggregates? aggregates;
    private bool aggregatesLoaded;
    private SweepFinished? finishedOutcome;

    public SweepCoordinatorActor(string sweep, IReadOnlyList<TrialSpec> allTrials, RunFolderSource source, Options options)
    {
        this.sweep = sweep;
        this.source = source;
        this.allTrials = allTrials;
        this.options = options;
        trials = allTrials.ToDictionary(t => t.Id);
        quarantine = new TrainerQuarantine(options.Quarantine ?? QuarantineOptions.Default);
        if (options.Metrics is not null)
            aggregates = new GridAggregates(allTrials);
        Receive<OpenLedger>(_ => TryOpen());
        Receive<GetSweepStatus>(_ => Sender.Tell(new SweepStatusResponse(sweep, trials.Count, trials.Count, 0, 0, 0, 0, [])));
    }

    /// <summary>
    /// Opens the ledger, or waits while another live coordinator holds the sweep in it (a standby whose singleton
    /// started while the old one is still on its way out); other bad input ends the sweep with its message.
    /// </summary>
    private void TryOpen()
    {
        try
        {
            results = source.Open();
        }
        catch (SweepInUseException inUse) when (source.WaitsWhileInUse)
        {
            if (!waitingSaid)
                log.Warning("waiting for the ledger: {0}", inUse.Message);
            waitingSaid = true;
            Timers.StartSingleTimer("open", OpenLedger.Instance, TimeSpan.FromSeconds(2));
            return;
        }
        catch (Exception error) when (error is InputException or IOException)
        {
            Context.System.EventStream.Publish(new SweepRefused(error));
            Context.Stop(Self);
            return;
        }
        Recover();
        Become(Running);
    }

    /// <summary>The queue from the ledger: finished trials skipped, attempts still out kept back for their trainers.</summary>
    private void Recover()
    {
        foreach (var (trialId, failures) in results.Failures)
        {
            var counted = failures.Where(f => !f.Excused).Select(f => new Failure(f.Attempt, f.NodeId, f.Reason)).ToList();
            if (counted.Count > 0)
                failureReasons[trialId] = counted;
        }
        foreach (var (trialId, (attempt, node)) in results.Attempts)
        {
            attempts[trialId] = attempt;
            // An attempt that failed is not out: its trial is queued at once.
            var ended = results.Failures.TryGetValue(trialId, out var failures) && failures.Any(f => f.Attempt == attempt);
            if (trials.ContainsKey(trialId) && !results.Finished.Contains(trialId) && !ended && options.AdoptionGrace > TimeSpan.Zero)
                unclaimed[trialId] = (attempt, node);
        }
        queue = new LinkedList<TrialSpec>(allTrials.Where(t => !results.Finished.Contains(t.Id) && !unclaimed.ContainsKey(t.Id)));
        skipped = results.Finished.Count(trials.ContainsKey);
        log.Info("sweep {0}: {1} trials, {2} already finished in {3} (ledger: {4}), incarnation {5}",
            sweep, trials.Count, skipped, results.Path, results.LedgerDescription, incarnation);
        Context.System.EventStream.Publish(new LedgerOpened(results.LedgerDescription, results.GridChange, skipped, unclaimed.Count));
        keptFiles = Context.ActorOf(KeptFilesActor.Props(results.ModelsPath), "kept-files");
        results.WritingStopped.PipeTo(Self, success: error => new WritingStopped(error));
        StartAggregates();
        if (unclaimed.Count > 0)
        {
            log.Info("{0} attempt(s) were out when this coordinator started; their trainers have {1} s to come back", unclaimed.Count, options.AdoptionGrace.TotalSeconds);
            Timers.StartSingleTimer("adoption", AdoptionOver.Instance, options.AdoptionGrace);
        }
        FinishIfDone();
    }

    private void Running()
    {
        Receive<RegisterTrainer>(Register);
        Receive<RequestWork>(work => Offer(Sender, work.Slot));
        Receive<TrialStarted>(Began);
        Receive<EpochCompleted>(RecordEpoch);
        Receive<KeptFilePart>(part =>
        {
            if (Current(part.TrialId, part.Attempt) is null)
                Sender.Tell(new KeptFilePartReceived(part.TrialId, part.Attempt, part.FileName, part.Offset, $"attempt {part.Attempt} of trial {part.TrialId} is not running here"));
            else
                keptFiles.Forward(part);
        });
        Receive<TrialCompleted>(Complete);
        Receive<AdoptionOver>(_ => ReleaseUnclaimed());
        Receive<Flushed>(flushed =>
        {
            finishedOutcome = flushed.Outcome;
            // Trainers free their devices: nothing of this sweep is left for them.
            foreach (var trainer in trainers.Keys)
                trainer.Tell(new SweepEnded(sweep));
            PublishWhenWritten();
        });
        Receive<RecordLoaded>(Loaded);
        Receive<WriteAggregates>(_ =>
        {
            DrainAggregates();
            PublishWhenWritten();
        });
        Receive<TrialFailed>(Fail);
        Receive<TrialReturned>(returned => Abandon(returned.TrialId, returned.Attempt, Sender, "handed back by a leaving trainer"));
        Receive<TrainerLost>(Lose);
        Receive<QuarantineOver>(EndQuarantine);
        Receive<GetSweepStatus>(_ => Sender.Tell(Status()));
        Receive<WritingStopped>(stopped =>
        {
            // Stopping, not restarting: a restart would find the same full disk (the crash loop this replaces).
            log.Error("sweep {0} stops: {1}", sweep, stopped.Error.Message);
            Context.System.EventStream.Publish(new SweepRefused(stopped.Error));
            Context.Stop(Self);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string sweep, IReadOnlyList<TrialSpec> trials, RunFolderSource source, Options options) =>
        Akka.Actor.Props.Create(() => new SweepCoordinatorActor(sweep, trials, source, options));

    protected override void PreStart() => TryOpen();

    /// <summary>
    /// Lets go of the ledger as the actor stops (its node shut down or downed): a standby can claim the sweep at once
    /// instead of waiting on a process that lingers.
    /// </summary>
    protected override void PostStop()
    {
        if (source.WaitsWhileInUse)
            source.Current?.Dispose();
    }

    /// <summary>
    /// The aggregates start from the ledger: the queued trials' states are written as the writer takes them, attempts still
    /// out count as running, and what the ledger holds (ended trials, curves) is read off this actor's thread.
    /// </summary>
    private void StartAggregates()
    {
        if (aggregates is null)
            return;
        aggregates.QueuedAtStart(queue.Select(t => t.Id), DateTimeOffset.UtcNow);
        foreach (var (trialId, (attempt, node)) in unclaimed)
            aggregates.Running(trialId, attempt, node);
        var attemptsGiven = results.Attempts;
        results.ReadLedgerAsync(ledger => GridAggregates.Read(ledger, trials, attemptsGiven))
            .PipeTo(Self, success: recorded => new RecordLoaded(recorded, null), failure: error => new RecordLoaded(null, error));
        Timers.StartPeriodicTimer("aggregates", WriteAggregates.Instance, AggregatesInterval);
    }

    private void Loaded(RecordLoaded loaded)
    {
        if (loaded.Recorded is { } recorded)
            aggregates!.Load(recorded);
        else
            log.Warning("the grid's aggregates start without the ledger's earlier results: {0}", loaded.Error?.Message);
        aggregatesLoaded = true;
        DrainAggregates();
    }

    /// <summary>Writes the aggregates' changed points, no more than the metrics queue has room for (so a 100,000-trial start streams).</summary>
    private void DrainAggregates()
    {
        if (aggregates is null || !aggregatesLoaded || aggregates.Pending == 0)
            return;
        var metrics = options.Metrics!;
        aggregates.Drain(metrics, Math.Min(metrics.QueueRoom / 2, MaxAggregatePointsPerWrite));
    }

    /// <summary>The sweep's end is said once the ledger is flushed and every aggregate point is handed to the metrics writer.</summary>
    private void PublishWhenWritten()
    {
        if (finishedOutcome is null || (aggregates is not null && (!aggregatesLoaded || aggregates.Pending > 0)))
            return;
        Context.System.EventStream.Publish(finishedOutcome);
        finishedOutcome = null;
        Timers.Cancel("aggregates");
    }

    /// <summary>Attempts no trainer came back for in time go back to the front of the queue (they resume from their checkpoints).</summary>
    private void ReleaseUnclaimed()
    {
        foreach (var (trialId, (_, node)) in unclaimed.ToList())
            Release(trialId, $"its trainer {node} did not come back");
        DispatchToIdleSlots();
    }

    /// <summary>An attempt that was out goes to the front of the queue: it resumes from its checkpoint wherever it runs.</summary>
    private void Release(string trialId, string reason)
    {
        if (!unclaimed.Remove(trialId, out var outstanding))
            return;
        queue.AddFirst(trials[trialId]);
        aggregates?.Queued(trialId, outstanding.Attempt);
        Context.System.EventStream.Publish(new TrialRequeued(trials[trialId], outstanding.Attempt, outstanding.NodeId, reason));
    }

    private void Register(RegisterTrainer registration)
    {
        if (!trainers.ContainsKey(Sender) && registration.Data is { } data && results.DataDifferences(data) is { } differences)
        {
            // Its numbers would not be comparable with the ledger's: it gets no work (said once per node; it keeps asking).
            if (refusedNodes.Add(registration.NodeId))
                log.Error("trainer {0} is refused: its data differs from the data this sweep's results were trained on: {1}", registration.NodeId, string.Join("; ", differences));
            return;
        }
        if (!trainers.ContainsKey(Sender))
        {
            trainers[Sender] = new Trainer(registration.NodeId, registration.Device, registration.Slots);
            quarantine.Joined(registration.NodeId);
            Context.WatchWith(Sender, new TrainerLost(Sender));
            log.Info("trainer {0} joined with {1} slot(s) on {2}", registration.NodeId, registration.Slots, registration.Device);
        }
        Sender.Tell(new TrainerRegistered(incarnation, sweep, Adopt(registration)));
        if (finishedOutcome is not null)
            Sender.Tell(new SweepEnded(sweep));
    }

    /// <summary>
    /// The node's running attempts this coordinator goes on with: its own, and those that were out when it started
    /// (taken over from another coordinator, or from itself before a restart). The trainer drops the rest.
    /// </summary>
    private List<string> Adopt(RegisterTrainer registration)
    {
        var adopted = new List<string>();
        foreach (var running in registration.Running ?? [])
        {
            if (inFlight.TryGetValue(running.TrialId, out var mine) && mine.Attempt == running.Attempt && mine.Trainer.Equals(Sender))
            {
                adopted.Add(running.TrialId);
            }
            else if (unclaimed.TryGetValue(running.TrialId, out var outstanding) && outstanding.Attempt == running.Attempt)
            {
                unclaimed.Remove(running.TrialId);
                inFlight[running.TrialId] = new InFlight(trials[running.TrialId], running.Attempt, Sender, registration.NodeId, Adopted: true);
                aggregates?.Running(running.TrialId, running.Attempt, registration.NodeId);
                adopted.Add(running.TrialId);
                log.Info("trial {0}: attempt {1} on {2} adopted", running.TrialId, running.Attempt, registration.NodeId);
            }
        }
        // A node that came back without an attempt it had (restarted, its training lost) will not bring it: it runs again now.
        if (registration.Running is { } reported)
        {
            var lost = unclaimed.Where(u => u.Value.NodeId == registration.NodeId && !reported.Any(r => r.TrialId == u.Key)).Select(u => u.Key).ToList();
            foreach (var trialId in lost)
                Release(trialId, $"its trainer {registration.NodeId} came back without it");
            if (lost.Count > 0)
                DispatchToIdleSlots();
        }
        if (unclaimed.Count == 0)
            Timers.Cancel("adoption");
        return adopted;
    }

    private void Offer(IActorRef trainer, int slot)
    {
        if (!trainers.TryGetValue(trainer, out var known))
            return; // Not registered (yet): it registers again within seconds and then asks again.
        if (queue.First is { } next && MayTakeWork(known.NodeId))
        {
            queue.RemoveFirst();
            Assign(next.Value, trainer, slot);
        }
        else if (!idleSlots.Contains((trainer, slot)))
        {
            idleSlots.AddLast((trainer, slot));
        }
    }

    private void Assign(TrialSpec trial, IActorRef trainer, int slot)
    {
        var attempt = attempts[trial.Id] = attempts.GetValueOrDefault(trial.Id) + 1;
        var nodeId = trainers[trainer].NodeId;
        inFlight[trial.Id] = new InFlight(trial, attempt, trainer, nodeId);
        results.StartAttempt(trial, attempt, nodeId);
        aggregates?.Running(trial.Id, attempt, nodeId);
        trainer.Tell(new AssignTrial(trial, attempt, slot, incarnation));
        Context.System.EventStream.Publish(new TrialAssigned(trial, attempt, nodeId, ++started + skipped, trials.Count));
    }

    /// <summary>Gives queued trials to waiting slots, passing over the slots of nodes in quarantine (they keep their place).</summary>
    private void DispatchToIdleSlots()
    {
        for (var idle = idleSlots.First; idle is not null && queue.First is not null;)
        {
            var next = idle.Next;
            if (trainers.TryGetValue(idle.Value.Trainer, out var trainer) && MayTakeWork(trainer.NodeId))
            {
                idleSlots.Remove(idle);
                var trial = queue.First.Value;
                queue.RemoveFirst();
                Assign(trial, idle.Value.Trainer, idle.Value.Slot);
            }
            idle = next;
        }
    }

    private bool MayTakeWork(string nodeId) =>
        quarantine.MayTakeWork(nodeId, quarantine.Standing(nodeId) == NodeStanding.Probation ? inFlight.Values.Count(r => r.NodeId == nodeId) : 0);

    /// <summary>The attempt a result belongs to, if it is the current one; results of abandoned attempts are dropped.</summary>
    private InFlight? Current(string trialId, int attempt) =>
        inFlight.TryGetValue(trialId, out var running) && running.Attempt == attempt ? running : null;

    /// <summary>The attempt's trainer says where it begins: the record is brought to exactly the epochs it resumes after.</summary>
    private void Began(TrialStarted started)
    {
        if (Current(started.TrialId, started.Attempt) is not { } running)
            return;
        // The attempt's record of the epochs before it (a checkpoint's, or an adopted attempt's own curve) is the truth.
        results.ResumeTrial(running.Trial, started.ResumedAfterEpoch, started.EarlierEpochs);
        aggregates?.SetCurve(running.Trial.Id, started.EarlierEpochs.Where(e => e.Epoch <= started.ResumedAfterEpoch).ToList());
        if (running.Adopted)
        {
            inFlight[running.Trial.Id] = running with { Adopted = false };
            Context.System.EventStream.Publish(new TrialAdopted(running.Trial, started.Attempt, started.NodeId, started.ResumedAfterEpoch));
        }
        else if (started.ResumedAfterEpoch > 0)
        {
            Context.System.EventStream.Publish(new TrialResumed(running.Trial, started.Attempt, started.NodeId, started.ResumedAfterEpoch));
        }
    }

    private void RecordEpoch(EpochCompleted epoch)
    {
        if (Current(epoch.TrialId, epoch.Attempt) is not { } running)
            return;
        results.AppendEpoch(running.Trial, epoch.Metrics);
        aggregates?.Epoch(running.Trial.Id, epoch.Metrics);
        Context.System.EventStream.Publish(new EpochRecorded(running.Trial, epoch.Attempt, epoch.NodeId, epoch.Metrics));
    }

    private void Complete(TrialCompleted done)
    {
        // Answered whatever becomes of it: the trainer sends it again until it hears back.
        Sender.Tell(new TrialCompletedReceived(done.TrialId, done.Attempt));
        if (unclaimed.TryGetValue(done.TrialId, out var outstanding) && outstanding.Attempt == done.Attempt)
        {
            // It ended while no coordinator was there to hear it.
            unclaimed.Remove(done.TrialId);
            inFlight[done.TrialId] = new InFlight(trials[done.TrialId], done.Attempt, Sender, done.NodeId, Adopted: true);
            Context.System.EventStream.Publish(new TrialAdopted(trials[done.TrialId], done.Attempt, done.NodeId, done.Curve?.Count ?? 0));
        }
        if (Current(done.TrialId, done.Attempt) is not { } running)
            return;
        inFlight.Remove(done.TrialId);
        if (done.Curve is { } curve)
        {
            results.ReplaceCurve(running.Trial, curve);
            aggregates?.SetCurve(running.Trial.Id, curve);
        }
        var summary = failureReasons.TryGetValue(done.TrialId, out var earlier) && earlier.Count > 0
            ? done.Summary with { Error = string.Join("; ", earlier) }
            : done.Summary;
        Record(running, summary);
        if (summary.Status == TrialStatus.Diverged) diverged++; else completed++;
        if (trainers.TryGetValue(running.Trainer, out var trainer)) trainer.Completed++;
        var wasOnProbation = quarantine.Standing(running.NodeId) == NodeStanding.Probation;
        var judged = quarantine.Completed(running.NodeId);
        if (wasOnProbation)
        {
            log.Info("trainer {0} completed its probation trial and takes work again", running.NodeId);
            WriteStanding(running.NodeId);
        }
        foreach (var quarantined in judged)
            PutInQuarantine(quarantined);
        DispatchToIdleSlots();
        FinishIfDone();
    }

    /// <summary>
    /// A failed attempt counts against its trial's retries unless its node is judged the fault (<see cref="TrainerQuarantine"/>):
    /// then the trial goes back to the front of the queue unharmed. A last retry whose node may still be judged so waits in
    /// the queue instead of ending the trial as failed.
    /// </summary>
    private void Fail(TrialFailed failure)
    {
        if (Current(failure.TrialId, failure.Attempt) is not { } running)
            return;
        if (trainers.TryGetValue(running.Trainer, out var trainer)) trainer.Failed++;
        var verdict = quarantine.Failed(running.NodeId, failure.TrialId, failure.Attempt, failure.Reason);
        results.FailAttempt(running.Trial, failure.Attempt, running.NodeId, failure.Reason, verdict.Excused);
        if (verdict.Quarantined is { } quarantined)
            PutInQuarantine(quarantined);
        if (verdict.Excused)
        {
            Requeue(running, $"{failure.Reason} (not counted: trainer {running.NodeId} is quarantined)");
            ReleaseSuspects();
            DispatchToIdleSlots();
            return;
        }
        inFlight.Remove(failure.TrialId);
        if (!failureReasons.TryGetValue(failure.TrialId, out var reasons))
            failureReasons[failure.TrialId] = reasons = [];
        reasons.Add(new Failure(failure.Attempt, running.NodeId, failure.Reason));
        if (quarantine.Standing(running.NodeId) == NodeStanding.Suspect && quarantine.Streak(running.NodeId) == (options.Quarantine ?? QuarantineOptions.Default).After)
        {
            log.Warning("trainer {0} failed {1} trials in a row: it gets no work while the other nodes show whether the fault is its own",
                running.NodeId, quarantine.Streak(running.NodeId));
            WriteStanding(running.NodeId);
        }
        ReleaseSuspects();
        if (reasons.Count <= options.MaxRetries || !verdict.Settled)
        {
            if (reasons.Count <= options.MaxRetries)
                log.Warning("trial {0} failed on {1} ({2}); retrying ({3} of {4})", failure.TrialId, failure.NodeId, failure.Reason, reasons.Count, options.MaxRetries);
            else
                log.Warning("trial {0} failed on {1} ({2}), its last retry; it runs again while trainer {1} may yet prove to be the fault", failure.TrialId, failure.NodeId, failure.Reason);
            queue.AddLast(running.Trial);
            options.Metrics?.TrialStateChanged(running.Trial, TrialStatus.Queued, null, failure.Attempt, "coordinator");
            aggregates?.Queued(running.Trial.Id, failure.Attempt);
            Context.System.EventStream.Publish(new TrialRequeued(running.Trial, failure.Attempt, failure.NodeId, failure.Reason));
            DispatchToIdleSlots();
            return;
        }
        results.DropTrial(failure.TrialId);
        Record(running, TrialSummary.From(TrialStatus.Failed, [], 0, string.Join("; ", reasons)));
        failed++;
        FinishIfDone();
    }

    /// <summary>
    /// A node judged a black hole: no work for the back-off, then one trial as probation. The failed attempts of its streak
    /// no longer count against their trials' retries, here and in the ledger (a resumed sweep counts the same).
    /// </summary>
    private void PutInQuarantine(Quarantine quarantined)
    {
        foreach (var excused in quarantined.Excused)
        {
            if (failureReasons.TryGetValue(excused.TrialId, out var reasons))
                reasons.RemoveAll(f => f.Attempt == excused.Attempt && f.NodeId == quarantined.NodeId);
            if (trials.TryGetValue(excused.TrialId, out var trial) && !results.Finished.Contains(excused.TrialId))
                results.FailAttempt(trial, excused.Attempt, quarantined.NodeId, "", excused: true);
        }
        quarantinedUntil[quarantined.NodeId] = DateTimeOffset.UtcNow + quarantined.For;
        log.Warning("trainer {0} is quarantined for {1}: {2}; its {3} failed attempt(s) do not count against their trials' retries",
            quarantined.NodeId, Duration(quarantined.For), quarantined.Reason, quarantined.Excused.Count);
        Timers.StartSingleTimer($"quarantine-{quarantined.NodeId}", new QuarantineOver(quarantined.NodeId), quarantined.For);
        WriteStanding(quarantined.NodeId);
    }

    private void EndQuarantine(QuarantineOver over)
    {
        quarantine.BackOffOver(over.NodeId);
        quarantinedUntil.Remove(over.NodeId);
        log.Warning("trainer {0}'s quarantine is over: it gets one trial as probation", over.NodeId);
        WriteStanding(over.NodeId);
        DispatchToIdleSlots();
    }

    /// <summary>Suspects no node is left to judge take work again: every node fails, so the trials are at fault.</summary>
    private void ReleaseSuspects()
    {
        var released = quarantine.ReleaseUnjudgedSuspects();
        foreach (var nodeId in released)
        {
            log.Warning("trainer {0} takes work again: the other nodes fail too, so the trials are at fault, not it", nodeId);
            WriteStanding(nodeId);
        }
        if (released.Count > 0)
            DispatchToIdleSlots();
    }

    /// <summary>The node's standing as the coordinator judges it, in <c>gridsweep_node</c>.</summary>
    private void WriteStanding(string nodeId)
    {
        if (options.Metrics is not { } metrics || trainers.Values.FirstOrDefault(t => t.NodeId == nodeId) is not { } trainer)
            return;
        var standing = quarantine.Standing(nodeId);
        var quarantined = standing == NodeStanding.Quarantined;
        metrics.NodeStanding(nodeId, trainer.Device, StandingName(standing), quarantined, quarantine.Streak(nodeId),
            quarantined ? quarantine.QuarantineLength(nodeId) : TimeSpan.Zero, standing == NodeStanding.Ok ? "" : quarantine.Reason(nodeId) ?? "");
    }

    private static string StandingName(NodeStanding standing) => standing switch
    {
        NodeStanding.Suspect => NodeStatus.Suspect,
        NodeStanding.Quarantined => NodeStatus.Quarantined,
        NodeStanding.Probation => NodeStatus.Probation,
        _ => NodeStatus.Ok,
    };

    private static string Duration(TimeSpan length) =>
        length.TotalMinutes >= 1 && length.Seconds == 0 ? $"{length.TotalMinutes:0} min" : $"{length.TotalSeconds:0.#} s";

    private void Abandon(string trialId, int attempt, IActorRef trainer, string reason)
    {
        if (Current(trialId, attempt) is not { } running || !running.Trainer.Equals(trainer))
            return;
        Requeue(running, reason);
        DispatchToIdleSlots();
    }

    private void Lose(TrainerLost lost)
    {
        if (!trainers.Remove(lost.Trainer, out var trainer))
            return;
        log.Warning("trainer {0} is gone; its trials go back to the queue", trainer.NodeId);
        foreach (var nodeId in quarantine.Left(trainer.NodeId))
        {
            log.Warning("trainer {0} takes work again: no other node is left to tell whether the fault is its own", nodeId);
            WriteStanding(nodeId);
        }
        foreach (var running in inFlight.Values.Where(r => r.Trainer.Equals(lost.Trainer)).ToList())
            Requeue(running, $"trainer {trainer.NodeId} lost");
        for (var node = idleSlots.First; node is not null;)
        {
            var next = node.Next;
            if (node.Value.Trainer.Equals(lost.Trainer))
                idleSlots.Remove(node);
            node = next;
        }
        DispatchToIdleSlots();
    }

    /// <summary>
    /// An abandoned attempt does not count against the retry limit: the trial goes first in the queue. Its
    /// recorded epochs stay until the next attempt says which of them its checkpoint has (<see cref="Began"/>).
    /// </summary>
    private void Requeue(InFlight running, string reason)
    {
        inFlight.Remove(running.Trial.Id);
        queue.AddFirst(running.Trial);
        options.Metrics?.TrialStateChanged(running.Trial, TrialStatus.Queued, null, running.Attempt, "coordinator");
        aggregates?.Queued(running.Trial.Id, running.Attempt);
        Context.System.EventStream.Publish(new TrialRequeued(running.Trial, running.Attempt, running.NodeId, reason));
    }

    private void Record(InFlight running, TrialSummary summary)
    {
        results.AppendTrial(running.Trial, summary);
        aggregates?.Ended(running.Trial.Id, summary, running.Attempt, running.NodeId);
        finished.Add((running.Trial, summary));
        if (summary.Status == TrialStatus.Completed && double.IsFinite(summary.BestValLoss) && (best is null || summary.BestValLoss < best.ValLoss))
        {
            var regression = running.Trial.Task == LearningTask.Regression;
            best = new BestTrial(running.Trial.Id, running.Trial.Model, running.Trial.Regularizer, summary.BestEpoch, summary.BestValLoss,
                regression ? "val_mae" : "val_accuracy", regression ? summary.BestValMae : summary.BestValAccuracy);
        }
        Context.System.EventStream.Publish(new TrialRecorded(running.Trial, summary, running.NodeId));
    }

    /// <summary>When every trial is finished: the ledger and its exports are brought up to date (off this thread), then it is said.</summary>
    private void FinishIfDone()
    {
        if (done || queue.Count > 0 || inFlight.Count > 0 || unclaimed.Count > 0)
            return;
        done = true;
        log.Info("sweep {0} finished: {1} completed, {2} diverged, {3} failed, {4} finished before", sweep, completed, diverged, failed, skipped);
        var outcome = new SweepFinished(sweep, trials.Count, skipped, completed, diverged, failed, finished);
        results.FlushAsync().PipeTo(Self, success: () => new Flushed(outcome), failure: _ => new Flushed(outcome));
    }

    private SweepStatusResponse Status()
    {
        var nodes = trainers.Values.Select(t => new NodeStatus(
            t.NodeId, t.Device, t.Slots, inFlight.Values.Count(r => r.NodeId == t.NodeId), t.Completed, t.Failed,
            StandingName(quarantine.Standing(t.NodeId)), quarantine.Reason(t.NodeId),
            quarantinedUntil.TryGetValue(t.NodeId, out var until) ? until : null)).ToList();
        return new SweepStatusResponse(sweep, trials.Count, queue.Count, inFlight.Count + unclaimed.Count, completed + skipped, diverged, failed, nodes, best);
    }
}
