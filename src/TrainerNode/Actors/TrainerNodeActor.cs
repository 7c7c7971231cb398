using Akka.Actor;
using Akka.Event;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Training;
using TorchSharp;

namespace GridSweep.TrainerNode.Actors;

/// <summary>
/// A trainer node: registers its slots with the sweep coordinator, asks for a trial whenever a slot is free,
/// trains it off the mailbox thread and reports every epoch as it finishes. Registration repeats every few
/// seconds, which doubles as a heartbeat and notices a restarted coordinator (new incarnation): the trials
/// of the old one are dropped, since the new one runs them again.
/// </summary>
public sealed class TrainerNodeActor : ReceiveActor, IWithTimers
{
    public sealed record Options(string NodeId, IReadOnlyList<string> Devices, TimeSpan RegisterInterval);

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

    // Run numbers tell a slot's current trial from one it dropped (a restarted coordinator reuses attempt numbers).
    private sealed record SlotEpoch(int Slot, int Run, EpochMetrics Metrics);
    private sealed record SlotFinished(int Slot, int Run, TrialRun Result);
    private sealed record SlotCrashed(int Slot, int Run, Exception Error);

    private sealed class Slot(torch.Device device)
    {
        public torch.Device Device { get; } = device;
        public AssignTrial? Assignment { get; set; }
        public CancellationTokenSource? Cancel { get; set; }
        public bool Asked { get; set; }
        public int Run { get; set; }
    }

    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly Options options;
    private readonly IActorRef coordinator;
    private readonly NodeDatasets datasets;
    private readonly Slot[] slots;
    private string? incarnation;
    private bool leaving;

    public TrainerNodeActor(Options options, IActorRef coordinator, NodeDatasets datasets)
    {
        this.options = options;
        this.coordinator = coordinator;
        this.datasets = datasets;
        slots = options.Devices.Select(d => new Slot(ComputeDevice.Resolve(d))).ToArray();

        Receive<RegisterTick>(_ => coordinator.Tell(new RegisterTrainer(options.NodeId, slots.Length, string.Join(",", options.Devices))));
        Receive<TrainerRegistered>(Registered);
        Receive<AssignTrial>(Start);
        Receive<SlotEpoch>(epoch =>
        {
            if (IsCurrent(epoch.Slot, epoch.Run) is { } assignment)
                coordinator.Tell(new EpochCompleted(assignment.Trial.Id, assignment.Attempt, options.NodeId, epoch.Metrics));
        });
        Receive<SlotFinished>(finished =>
        {
            if (IsCurrent(finished.Slot, finished.Run) is { } assignment)
                coordinator.Tell(new TrialCompleted(assignment.Trial.Id, assignment.Attempt, options.NodeId, finished.Result.Summary));
            Free(finished.Slot, finished.Run);
        });
        Receive<SlotCrashed>(crash =>
        {
            if (IsCurrent(crash.Slot, crash.Run) is { } assignment && crash.Error is not OperationCanceledException)
            {
                log.Error(crash.Error, "trial {0} failed", assignment.Trial.Id);
                coordinator.Tell(new TrialFailed(assignment.Trial.Id, assignment.Attempt, options.NodeId, $"{crash.Error.GetType().Name}: {crash.Error.Message}"));
            }
            Free(crash.Slot, crash.Run);
        });
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

    public static Props Props(Options options, IActorRef coordinator, NodeDatasets datasets) =>
        Akka.Actor.Props.Create(() => new TrainerNodeActor(options, coordinator, datasets));

    protected override void PreStart() =>
        Timers.StartPeriodicTimer("register", RegisterTick.Instance, TimeSpan.Zero, options.RegisterInterval);

    protected override void PostStop()
    {
        foreach (var slot in slots)
            slot.Cancel?.Cancel();
    }

    private void Registered(TrainerRegistered registered)
    {
        if (registered.CoordinatorIncarnation != incarnation)
        {
            if (incarnation is not null)
            {
                log.Warning("coordinator restarted ({0} -> {1}): dropping the trials of the old one", incarnation, registered.CoordinatorIncarnation);
                foreach (var slot in slots)
                {
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
        var (index, run, device) = (assignment.Slot, ++slot.Run, slot.Device);
        TrainAsync(assignment.Trial, device, epoch => self.Tell(new SlotEpoch(index, run, epoch)), token)
            .PipeTo(self, success: result => new SlotFinished(index, run, result), failure: error => new SlotCrashed(index, run, error));
    }

    /// <summary>
    /// Training blocks its thread for minutes, so it gets a thread of its own: on a thread-pool thread it
    /// would starve the pool that the fused CPU kernels (Parallel.For) and the actors need (measured: epochs 3-5x slower).
    /// </summary>
    private async Task<TrialRun> TrainAsync(TrialSpec trial, torch.Device device, Action<EpochMetrics> onEpoch, CancellationToken token)
    {
        var data = await datasets.GetAsync(trial.Dataset);
        return await Task.Factory.StartNew(
            () => new TrialTrainer(data, device).Train(trial, onEpoch, token),
            token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private AssignTrial? IsCurrent(int slot, int run) =>
        slots[slot].Assignment is { } assignment && slots[slot].Run == run ? assignment : null;

    private void Free(int slot, int run)
    {
        if (IsCurrent(slot, run) is null)
            return;
        slots[slot].Assignment = null;
        slots[slot].Cancel?.Dispose();
        slots[slot].Cancel = null;
        AskForWork();
    }
}
