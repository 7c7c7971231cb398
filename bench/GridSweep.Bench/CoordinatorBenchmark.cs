using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using GridSweep.Coordinator.Actors;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TestKit;

namespace GridSweep.Bench;

/// <summary>
/// The coordinator under load with simulated trainers that finish every epoch instantly, so all the time
/// measured is coordination: queueing, assignment, the protocol (JSON over Akka remoting across processes),
/// and writing every epoch and trial to the run folder. In one process and across two on loopback.
/// </summary>
internal static class CoordinatorBenchmark
{
    public const string TrainersCommand = "coordinator-trainers";

    private sealed record Row(string Mode, int Trials, int Slots, int Epochs, double Seconds, double ManagedMegabytes, double WorkingSetMegabytes)
    {
        public double MillisecondsPerTrial => Seconds * 1000 / Trials;
        public double ResultsPerSecond => (double)Trials * Epochs / Seconds;
        public double KilobytesPerTrial => ManagedMegabytes * 1024 / Trials;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var trials = Option(args, "--trials", 100_000);
        var slots = Option(args, "--slots", 1_000);
        var epochs = Option(args, "--epochs", 5);
        var rows = new List<Row>
        {
            await InProcessAsync(trials / 10, slots, epochs),
            await InProcessAsync(trials, slots, epochs),
            await TwoProcessesAsync(trials, slots, epochs),
        };

        var lines = new List<string>
        {
            $"Coordinator with simulated trainers (instant epochs), {epochs} epochs per trial, {Environment.ProcessorCount} cores",
            "",
            "| mode | trials | slots | seconds | ms per trial | epoch results/s | coordinator heap MB | KB per trial | working set MB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        };
        lines.AddRange(rows.Select(r =>
            $"| {r.Mode} | {r.Trials:N0} | {r.Slots:N0} | {r.Seconds:F1} | {r.MillisecondsPerTrial:F3} | {r.ResultsPerSecond:N0} | " +
            $"{r.ManagedMegabytes:F0} | {r.KilobytesPerTrial:F2} | {r.WorkingSetMegabytes:F0} |"));
        var table = string.Join('\n', lines);
        Console.WriteLine(table);
        var output = Path.Combine(TrainingBenchmark.RepoRoot(), "bench", "results", "coordinator.md");
        await File.WriteAllTextAsync(output, table + "\n");
        Console.Error.WriteLine($"bench: table written to {output}");
        return 0;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static IReadOnlyList<TrialSpec> Trials(int count, int epochs)
    {
        var model = new ModelSpec([16, 16]);
        var optimizer = new OptimizerSpec("adam", 0.001);
        var dataset = new DatasetSpec("imdb", 10000);
        return Enumerable.Range(0, count).Select(i => new TrialSpec(i.ToString("x12", CultureInfo.InvariantCulture), "bench", "baseline", "none", "adam", i,
            model, RegularizerSpec.None, optimizer, epochs, 512, InputLayer.Sparse, dataset)).ToList();
    }

    private static Config Remoting(int port) => ConfigurationFactory.ParseString($$"""
        akka.loglevel = WARNING
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = {{port}} }
        akka.actor.serializers.gridsweep = "{{typeof(ProtocolSerializer).AssemblyQualifiedName}}"
        akka.actor.serialization-bindings { "{{typeof(IGridSweepMessage).AssemblyQualifiedName}}" = gridsweep }
        """);

    private static async Task<Row> InProcessAsync(int trials, int slots, int epochs)
    {
        Console.Error.WriteLine($"bench: coordinator in one process, {trials:N0} trials ...");
        using var folder = new TempDirectory("gridsweep-bench");
        var system = ActorSystem.Create("gridsweep", "akka.loglevel = WARNING");
        var (seconds, heap, workingSet) = await MeasureAsync(system, folder.Path, Trials(trials, epochs), coordinator =>
        {
            system.ActorOf(Props.Create(() => new SimulatedTrainersActor(coordinator, slots, epochs)), "trainers");
            return Task.CompletedTask;
        });
        await system.Terminate();
        return new Row("one process", trials, slots, epochs, seconds, heap, workingSet);
    }

    private static async Task<Row> TwoProcessesAsync(int trials, int slots, int epochs)
    {
        Console.Error.WriteLine($"bench: coordinator and trainers in two processes on loopback, {trials:N0} trials ...");
        using var folder = new TempDirectory("gridsweep-bench");
        var port = Loopback.FreePort();
        var system = ActorSystem.Create("gridsweep", Remoting(port));
        ChildProcess? trainers = null;
        (double Seconds, double Heap, double WorkingSet) measured;
        try
        {
            measured = await MeasureAsync(system, folder.Path, Trials(trials, epochs), _ =>
            {
                var (self, prefix) = TrainingBenchmark.Self();
                trainers = ChildProcess.Start("simulated trainers", self, [.. prefix, TrainersCommand, $"{port}", $"{slots}", $"{epochs}"]);
                return Task.CompletedTask;
            });
        }
        finally
        {
            trainers?.Dispose(); // Killed by process id.
            Console.Error.Write(trainers?.Output);
        }
        var (seconds, heap, workingSet) = measured;
        await system.Terminate();
        return new Row("two processes, loopback", trials, slots, epochs, seconds, heap, workingSet);
    }

    /// <summary>Time from the first trainer's start to the last trial recorded; the coordinator's heap once it is done.</summary>
    private static async Task<(double Seconds, double HeapMegabytes, double WorkingSetMegabytes)> MeasureAsync(
        ActorSystem system, string folder, IReadOnlyList<TrialSpec> trials, Func<IActorRef, Task> startTrainers)
    {
        var finished = new TaskCompletionSource<SweepFinished>();
        var listener = system.ActorOf(Props.Create(() => new FinishListener(finished)));
        system.EventStream.Subscribe(listener, typeof(SweepFinished));
        GC.Collect();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        using var results = RunFolder.Open(folder);
        var coordinator = system.ActorOf(SweepCoordinatorActor.Props("bench", trials, RunFolderSource.Opened(results), new SweepCoordinatorActor.Options(0)), ClusterNames.Coordinator);
        var clock = Stopwatch.StartNew();
        await startTrainers(coordinator);
        var outcome = await finished.Task.WaitAsync(TimeSpan.FromMinutes(20));
        var seconds = clock.Elapsed.TotalSeconds;
        if (outcome.Completed != trials.Count)
            throw new InvalidOperationException($"only {outcome.Completed} of {trials.Count} trials completed");
        var heap = (GC.GetTotalMemory(forceFullCollection: true) - heapBefore) / (1024.0 * 1024.0);
        var workingSet = Process.GetCurrentProcess().WorkingSet64 / (1024.0 * 1024.0);
        GC.KeepAlive(coordinator);
        return (seconds, heap, workingSet);
    }

    /// <summary>The child process of the two-process run: simulated trainers talking to the coordinator over remoting.</summary>
    public static async Task<int> RunTrainersAsync(string[] args)
    {
        var (port, slots, epochs) = (int.Parse(args[0], CultureInfo.InvariantCulture), int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
        var system = ActorSystem.Create("gridsweep-trainers", Remoting(0));
        var coordinator = await system.ActorSelection($"akka.tcp://gridsweep@127.0.0.1:{port}/user/{ClusterNames.Coordinator}")
            .ResolveOne(TimeSpan.FromSeconds(30));
        system.ActorOf(Props.Create(() => new SimulatedTrainersActor(coordinator, slots, epochs)), "trainers");
        await system.WhenTerminated;
        return 0;
    }

    private sealed class FinishListener : ReceiveActor
    {
        public FinishListener(TaskCompletionSource<SweepFinished> finished) => Receive<SweepFinished>(e => finished.TrySetResult(e));
    }

    /// <summary>Many slots that finish each trial at once: every epoch reported, then the trial, then a new request.</summary>
    private sealed class SimulatedTrainersActor : ReceiveActor
    {
        public SimulatedTrainersActor(IActorRef coordinator, int slots, int epochs)
        {
            const string node = "simulated";
            var metrics = Enumerable.Range(1, epochs).Select(e => new EpochMetrics(e, 0.5 / e, 0.01, 0.3 + 0.01 * e, 0.8, 0.85, 0.001)).ToArray();
            var summary = TrialSummary.From(TrialStatus.Completed, metrics, 0.005);
            var registered = false;
            Receive<TrainerRegistered>(_ =>
            {
                if (registered) return;
                registered = true;
                for (var slot = 0; slot < slots; slot++)
                    coordinator.Tell(new RequestWork(node, slot));
            });
            Receive<AssignTrial>(assignment =>
            {
                foreach (var epoch in metrics)
                    coordinator.Tell(new EpochCompleted(assignment.Trial.Id, assignment.Attempt, node, epoch));
                coordinator.Tell(new TrialCompleted(assignment.Trial.Id, assignment.Attempt, node, summary));
                coordinator.Tell(new RequestWork(node, assignment.Slot));
            });
            coordinator.Tell(new RegisterTrainer(node, slots, "simulated"));
        }
    }

}
