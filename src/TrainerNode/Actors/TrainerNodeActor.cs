using Akka.Actor;
using Akka.Event;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TrainerNode.Checkpoints;
using GridSweep.TrainerNode.Data;
using GridSweep.Runtime.Metrics;
using GridSweep.TrainerNode.Training;
using TorchSharp;

namespace GridSweep.TrainerNode.Actors;

/// <summary>
/// A trainer node: registers its slots with the sweep coordinator, asks for a trial whenever a slot is free,
/// trains it off the mailbox thread and reports every epoch as it finishes. Registration repeats every few
/// seconds with the attempts the node is training, which doubles as a heartbeat and notices a new coordinator
/// (a restart, or a standby that took over): it answers with the attempts it adopts, which go on (their curves sent
/// again, in case epochs were lost on the way), and the others are dropped, since it runs them again. A trial's end
/// is sent again with every heartbeat until the coordinator confirms it, so none is lost in a takeover.
/// </summary>
public sealed class TrainerNodeActor : ReceiveActor, IWithTimers
{
    /// <param name="Checkpoints">Where trials are checkpointed after every epoch and resumed from; null: no checkpoints.</param>
    /// <param name="TorchThreads">Threads of each CPU slot (<c>--torch-threads</c>); 0 leaves LibTorch's process-wide setting.</param>
    /// <param name="SweepEnded">Told the sweep's name when its coordinator says the sweep is finished; null: the node ignores it.</param>
    public sealed record Options(string NodeId, IReadOnlyList<string> Devices, TimeSpan RegisterInterval, CheckpointStore? Checkpoints = null,
        int TorchThreads = 0, Action<string>? SweepEnded = null);

    /// <summary>Asks the node to hand its running trials back before it leaves; answered with <see cref="HandedBack"/>.</summary>
    public sealed class HandBack
    {
        public static readonly HandBack Instance = new();
        private HandBack() { }
    }

    public sealed record HandedBack(int Trials);

    private sealed class RegisterTick
    {
        public static readonly RegisterTick Instance = new();
    }

    private sealed class HeartbeatTick
    {
        public static readonly HeartbeatTick Instance = new();
    }

    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);

    // Run numbers tell a slot's current trial from one it dropped (a restarted coordinator reuses attempt numbers).
    private sealed record SlotStarted(int Slot, int Run, ResumePoint From, int TrainSamples);
    private sealed record SlotEpoch(int Slot, int Run, EpochMetrics Metrics, double SamplesPerSecond);
    private sealed record SlotFinished(int Slot, int Run, TrialRun Result);
    private sealed record SlotCrashed(int Slot, int Run, Exception Error);

    private sealed class Slot(torch.Device device, SlotThread thread)
    {
        public torch.Device Device { get; } = device;
        public SlotThread Thread { get; } = thread;
        public AssignTrial? Assignment { get; set; }
        public CancellationTokenSource? Cancel { get; set; }
        public bool Asked { get; set; }
        public int Run { get; set; }

        /// <summary>Every epoch of the running trial so far, its checkpoint's included: sent again to a coordinator that adopts it.</summary>
        public List<EpochMetrics> Curve { get; set; } = [];

        /// <summary>The finished run whose kept files are on their way, before it is reported.</summary>
        public TrialRun? Finished { get; set; }
    }

    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly Options options;
    private readonly IActorRef coordinator;
    private readonly NodeDatasets datasets;
    private readonly MetricsWriter? metrics;
    private readonly Slot[] slots;
    private readonly Queue<(DateTime At, double Samples)> recentEpochs = new();
    private string? incarnation;
    private bool leaving;
    // Trial ends sent and not yet confirmed, by trial and attempt: sent again with every registration.
    private readonly Dictionary<(string TrialId, int Attempt), TrialCompleted> unconfirmed = [];

    public TrainerNodeActor(Options options, IActorRef coordinator, NodeDatasets datasets, MetricsWriter? metrics)
    {
        this.options = options;
        this.coordinator = coordinator;
        this.datasets = datasets;
        this.metrics = metrics;
        slots = options.Devices.Select((d, i) => new Slot(ComputeDevice.Resolve(d), new SlotThread($"slot-{i}", options.TorchThreads))).ToArray();

        // With the identity of the data prepared before the node joined, so the coordinator can tell it from its run's data.
        Receive<RegisterTick>(_ => RegisterAndResend());
        Receive<TrialCompletedReceived>(received =>
        {
            // A checkpoint outlives its trial's report: it goes once the coordinator has the end.
            if (unconfirmed.Remove((received.TrialId, received.Attempt)))
                options.Checkpoints?.Remove(received.TrialId);
        });
        Receive<TrainerRegistered>(Registered);
        Receive<SweepEnded>(ended => options.SweepEnded?.Invoke(ended.Sweep));
        Receive<AssignTrial>(Start);
        Receive<SlotStarted>(started =>
        {
            if (IsCurrent(started.Slot, started.Run) is not { } assignment)
                return;
            var from = started.From;
            if (from.AfterEpoch > 0)
                log.Info("trial {0} resumes from its checkpoint after epoch {1} of {2}", assignment.Trial.Id, from.AfterEpoch, assignment.Trial.Epochs);
            slots[started.Slot].Curve = from.Epochs.ToList();
            coordinator.Tell(new TrialStarted(assignment.Trial.Id, assignment.Attempt, options.NodeId, from.AfterEpoch, from.Epochs));
            // Written again as they were (same time, tags and values): a lost node may have died before its metrics left it.
            for (var i = 0; i < from.Epochs.Count; i++)
            {
                var epoch = from.Epochs[i];
                metrics?.EpochCompleted(assignment.Trial, epoch, from.Nodes[i] is { Length: > 0 } node ? node : options.NodeId, started.TrainSamples / epoch.Seconds);
            }
        });
        Receive<SlotEpoch>(epoch =>
        {
            if (IsCurrent(epoch.Slot, epoch.Run) is not { } assignment)
                return;
            slots[epoch.Slot].Curve.Add(epoch.Metrics);
            coordinator.Tell(new EpochCompleted(assignment.Trial.Id, assignment.Attempt, options.NodeId, epoch.Metrics));
            metrics?.EpochCompleted(assignment.Trial, epoch.Metrics, options.NodeId, epoch.SamplesPerSecond);
            recentEpochs.Enqueue((DateTime.UtcNow, epoch.SamplesPerSecond * epoch.Metrics.Seconds));
        });
        Receive<SlotFinished>(finished =>
        {
            if (IsCurrent(finished.Slot, finished.Run) is not { } assignment)
                return;
            if (finished.Result.Kept is not { } kept)
            {
                Report(finished.Slot, finished.Run, finished.Result);
                return;
            }
            // The trial is reported once its kept files are in the run folder: a completed trial has its model there.
            slots[finished.Slot].Finished = finished.Result;
            Context.ActorOf(KeptFilesSender.Props(coordinator, assignment.Attempt, kept, finished.Slot, finished.Run));
        });
        Receive<KeptFilesSender.Sent>(sent =>
        {
            if (IsCurrent(sent.Slot, sent.Run) is not { } assignment || slots[sent.Slot].Finished is not { } result)
                return;
            if (sent.Error is not null)
                log.Warning("trial {0}: its kept files did not reach the run folder ({1}); the trial is reported without them", assignment.Trial.Id, sent.Error);
            Report(sent.Slot, sent.Run, result);
        });
        Receive<SlotCrashed>(crash =>
        {
            if (IsCurrent(crash.Slot, crash.Run) is { } assignment && crash.Error is not OperationCanceledException)
            {
                log.Error(crash.Error, "trial {0} failed", assignment.Trial.Id);
                var reason = $"{crash.Error.GetType().Name}: {crash.Error.Message}";
                coordinator.Tell(new TrialFailed(assignment.Trial.Id, assignment.Attempt, options.NodeId, reason));
                metrics?.TrialStateChanged(assignment.Trial, TrialStatus.Failed, TrialSummary.From(TrialStatus.Failed, [], 0, reason), assignment.Attempt, options.NodeId);
            }
            Free(crash.Slot, crash.Run);
        });
        Receive<HeartbeatTick>(_ => Heartbeat());
        Receive<HandBack>(_ =>
        {
            leaving = true;
            var returned = 0;
            foreach (var slot in slots.Where(s => s.Assignment is not null))
            {
                coordinator.Tell(new TrialReturned(slot.Assignment!.Trial.Id, slot.Assignment.Attempt, options.NodeId));
                slot.Cancel?.Cancel();
                returned++;
            }
            Sender.Tell(new HandedBack(returned));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(Options options, IActorRef coordinator, NodeDatasets datasets, MetricsWriter? metrics) =>
        Akka.Actor.Props.Create(() => new TrainerNodeActor(options, coordinator, datasets, metrics));

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("register", RegisterTick.Instance, TimeSpan.Zero, options.RegisterInterval);
        if (metrics is not null)
            Timers.StartPeriodicTimer("heartbeat", HeartbeatTick.Instance, TimeSpan.Zero, HeartbeatInterval);
    }

    /// <summary>The devices the slots resolved to (<c>auto</c> shows as what it became), distinct, e.g. <c>cuda:0,cuda:1</c>.</summary>
    private string DeviceNames() => string.Join(",", slots.Select(s => s.Device.ToString()).Distinct());

    /// <summary>Slots, busy slots and the last minute's throughput, for the cluster dashboard.</summary>
    private void Heartbeat()
    {
        var minuteAgo = DateTime.UtcNow.AddMinutes(-1);
        while (recentEpochs.TryPeek(out var oldest) && oldest.At < minuteAgo)
            recentEpochs.Dequeue();
        var busy = slots.Count(s => s.Assignment is not null);
        metrics!.NodeHeartbeat(options.NodeId, DeviceNames(), slots.Length, busy,
            recentEpochs.Count, recentEpochs.Sum(e => e.Samples) / 60.0);
    }

    protected override void PostStop()
    {
        foreach (var slot in slots)
        {
            slot.Cancel?.Cancel();
            slot.Thread.Dispose();
        }
    }

    /// <summary>
    /// The heartbeat: the node, its data and its attempts (those running and those ended but not confirmed, which a new
    /// coordinator must not give out again); then every trial end not confirmed yet.
    /// </summary>
    private void RegisterAndResend()
    {
        var running = slots.Where(s => s.Assignment is not null).Select(s => new RunningAttempt(s.Assignment!.Trial.Id, s.Assignment.Attempt))
            .Concat(unconfirmed.Keys.Select(key => new RunningAttempt(key.TrialId, key.Attempt)))
            .ToList();
        coordinator.Tell(new RegisterTrainer(options.NodeId, slots.Length, DeviceNames(), datasets.Prepared?.Identity, running));
        foreach (var end in unconfirmed.Values)
            coordinator.Tell(end);
    }

    private void Registered(TrainerRegistered registered)
    {
        if (registered.CoordinatorIncarnation != incarnation)
        {
            if (incarnation is not null)
            {
                var adopted = (registered.Adopted ?? []).ToHashSet();
                log.Warning("new coordinator ({0} -> {1}): {2} running trial(s) adopted, the others dropped",
                    incarnation, registered.CoordinatorIncarnation, adopted.Count);
                foreach (var slot in slots)
                {
                    if (slot.Assignment is { } assignment && adopted.Contains(assignment.Trial.Id))
                    {
                        // Its curve again: epochs sent while no coordinator listened were lost.
                        var curve = slot.Curve.ToList();
                        coordinator.Tell(new TrialStarted(assignment.Trial.Id, assignment.Attempt, options.NodeId, curve.Count == 0 ? 0 : curve[^1].Epoch, curve));
                        continue;
                    }
                    slot.Cancel?.Cancel();
                    slot.Assignment = null;
                    slot.Asked = false;
                }
            }
            incarnation = registered.CoordinatorIncarnation;
        }
        AskForWork();
    }

    private void AskForWork()
    {
        if (leaving || incarnation is null)
            return;
        for (var i = 0; i < slots.Length; i++)
        {
            if (slots[i].Assignment is null && !slots[i].Asked)
            {
                slots[i].Asked = true;
                coordinator.Tell(new RequestWork(options.NodeId, i));
            }
        }
    }

    private void Start(AssignTrial assignment)
    {
        var slot = slots[assignment.Slot];
        if (leaving || slot.Assignment is not null)
        {
            coordinator.Tell(new TrialReturned(assignment.Trial.Id, assignment.Attempt, options.NodeId));
            return;
        }
        incarnation ??= assignment.CoordinatorIncarnation;
        slot.Assignment = assignment;
        slot.Asked = false;
        slot.Cancel = new CancellationTokenSource();
        var token = slot.Cancel.Token;
        var self = Self;
        var (index, run, device, thread) = (assignment.Slot, ++slot.Run, slot.Device, slot.Thread);
        metrics?.TrialStateChanged(assignment.Trial, TrialStatus.Running, null, assignment.Attempt, options.NodeId);
        TrainAsync(assignment.Trial, device, thread,
                (from, trainSamples) => self.Tell(new SlotStarted(index, run, from, trainSamples)),
                (epoch, samplesPerSecond) => self.Tell(new SlotEpoch(index, run, epoch, samplesPerSecond)), token)
            .PipeTo(self, success: result => new SlotFinished(index, run, result), failure: error => new SlotCrashed(index, run, error));
    }

    /// <summary>Trains on the slot's own thread (<see cref="SlotThread"/>), once the trial's data is there.</summary>
    private async Task<TrialRun> TrainAsync(TrialSpec trial, torch.Device device, SlotThread thread, Action<ResumePoint, int> onStart,
        Action<EpochMetrics, double> onEpoch, CancellationToken token)
    {
        var data = await datasets.GetAsync(trial.Dataset);
        var trainer = new TrialTrainer(data, device) { Checkpoints = options.Checkpoints, KeepsBestWeights = true, NodeId = options.NodeId };
        return await thread.Run(
            () => trainer.Train(trial, epoch => onEpoch(epoch, data.Train.Count / epoch.Seconds), token, from => onStart(from, data.Train.Count)));
    }

    /// <summary>
    /// Reports a finished trial with its curve, and keeps sending it until the coordinator confirms it; its checkpoint
    /// is removed then: a checkpoint outlives its trial's report, never the other way round.
    /// </summary>
    private void Report(int slot, int run, TrialRun result)
    {
        var assignment = slots[slot].Assignment!;
        var curve = slots[slot].Curve;
        var end = new TrialCompleted(assignment.Trial.Id, assignment.Attempt, options.NodeId, result.Summary,
            curve.Count <= TrialCompleted.MaxCurve ? curve.ToList() : null);
        unconfirmed[(end.TrialId, end.Attempt)] = end;
        coordinator.Tell(end);
        metrics?.TrialStateChanged(assignment.Trial, result.Summary.Status, result.Summary, assignment.Attempt, options.NodeId);
        Free(slot, run);
    }

    private AssignTrial? IsCurrent(int slot, int run) =>
        slots[slot].Assignment is { } assignment && slots[slot].Run == run ? assignment : null;

    private void Free(int slot, int run)
    {
        if (IsCurrent(slot, run) is null)
            return;
        slots[slot].Assignment = null;
        slots[slot].Finished = null;
        slots[slot].Curve = [];
        slots[slot].Cancel?.Dispose();
        slots[slot].Cancel = null;
        AskForWork();
    }
}
