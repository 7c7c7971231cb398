using Akka.Actor;
using Akka.Hosting;
using GridSweep.Coordinator.Actors;
using GridSweep.Coordinator.Hosting;
using GridSweep.Coordinator.Results;
using GridSweep.Coordinator.Sweeps;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Cluster;
using GridSweep.Runtime.Configuration;
using GridSweep.TestKit;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Hosting;
using GridSweep.TrainerNode.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GridSweep.Coordinator.Tests.Hosting;

/// <summary>
/// The coordinator and trainer roles started in one process through the production Akka.Hosting wiring
/// (<see cref="ClusterHosting.WithGridSweepCluster"/>, <see cref="SweepHost.WithSweepCoordinator"/>,
/// <see cref="TrainerHosting.WithTrainerNode"/>): a real one-node cluster on loopback, the singleton, the
/// trainer actor with two slots, real training on a small synthetic dataset. A plain generic host rather
/// than Akka.Hosting.TestKit: its 1.5.7x releases are built on xunit v3, which cannot share a project with
/// this suite's xunit 2.9.
/// </summary>
public sealed class SweepWiringSpecs : IAsyncLifetime
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(5);

    private readonly TempDirectory directory = new("gridsweep-wiring");
    private readonly TaskCompletionSource<SweepFinished> finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RecordingObserver observer = new();
    private readonly SweepSpec spec = SweepSpecParser.Parse("""
        name: wiring
        dataset: {name: imdb, num_words: 100}
        training: {epochs: 3, batch_size: 64, seeds: [1, 2]}
        grid:
          model:
            tiny:  {hidden: [4]}
            small: {hidden: [8, 8]}
        """, "wiring.yaml");

    private RunFolder? results;
    private IReadOnlyList<TrialSpec> trials = [];

    private IHost? host;

    private ActorSystem Sys => host!.Services.GetRequiredService<ActorSystem>();

    private ActorRegistry ActorRegistry => host!.Services.GetRequiredService<ActorRegistry>();

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka(ClusterNames.System, akka => ConfigureAkka(akka));
        host = builder.Build();
        await host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.StopAsync();
            host.Dispose();
        }
        results?.Dispose();
        directory.Dispose();
    }

    private void ConfigureAkka(AkkaConfigurationBuilder builder)
    {
        trials = SweepGrid.Expand(spec);
        results = RunFolder.Open(directory.Combine("runs", spec.Name));
        var cluster = new ClusterNodeOptions { Host = "127.0.0.1", Port = 0, LogLevel = "WARNING" };
        var options = new SweepHostOptions(spec, trials, RunFolderSource.Opened(results), cluster, LocalTrainers: null, MaxRetries: 1, Metrics: null);
        var datasets = new NodeDatasets(dataPath: null, wordIndexOverride: null, directory.Combine("cache"))
        {
            Source = (numWords, _) => Task.FromResult(SyntheticReviews.Generate(trainCount: 400, testCount: 100, numWords, seed: 3)),
        };
        builder
            .WithGridSweepCluster(cluster, ClusterNames.CoordinatorRole, ClusterNames.TrainerRole)
            .WithSweepCoordinator(options, observer, finished)
            .WithTrainerNode(["cpu", "cpu"], "in-process", TimeSpan.FromMilliseconds(500), datasets, metrics: null);
    }

    [Fact]
    public async Task The_production_wiring_trains_every_trial_once_with_one_full_curve()
    {
        var outcome = await finished.Task.WaitAsync(HangGuard);

        Assert.Equal((4, 4, 0, 0), (outcome.Total, outcome.Completed, outcome.Failed, outcome.Diverged));
        Assert.Equal(trials.Select(t => t.Id).Order(), outcome.Finished.Select(f => f.Trial.Id).Order());
        Assert.All(outcome.Finished, f => Assert.InRange(f.Summary.BestEpoch, 1, 3));
        // The display saw every trial start and every epoch, once per trial (no second attempt).
        Assert.Equal(4, observer.Started.Distinct().Count());
        Assert.Equal(4, observer.Started.Count);
        Assert.Equal(12, observer.Epochs);

        results!.Flush();
        var curves = File.ReadAllLines(Path.Combine(directory.Combine("runs", spec.Name), RunFolder.EpochsFile)).Skip(1)
            .GroupBy(line => line.Split(',')[0]).ToDictionary(g => g.Key, g => g.Select(l => l.Split(',')[4]).ToList());
        Assert.Equal(trials.Select(t => t.Id).Order(), curves.Keys.Order());
        Assert.All(curves.Values, epochs => Assert.Equal(["1", "2", "3"], epochs));
    }

    [Fact]
    public async Task The_status_endpoint_answers_with_the_trainer_node_and_its_two_slots()
    {
        await finished.Task.WaitAsync(HangGuard);

        var status = await Sys.ActorSelection($"/user/{ClusterNames.Status}")
            .Ask<SweepStatusResponse>(GetSweepStatus.Instance, TimeSpan.FromSeconds(30));

        Assert.Equal(("wiring", 4, 4), (status.Sweep, status.Total, status.Completed));
        var node = Assert.Single(status.Nodes);
        Assert.Equal(("in-process", 2, 4), (node.NodeId, node.Slots, node.Completed));
    }

    [Fact]
    public void The_registry_holds_the_coordinator_proxy_and_the_trainer()
    {
        Assert.NotEqual(ActorRefs.Nobody, ActorRegistry.Get<CoordinatorProxyKey>());
        Assert.NotEqual(ActorRefs.Nobody, ActorRegistry.Get<TrainerKey>());
    }

    private sealed class RecordingObserver : ISweepObserver
    {
        private int epochs;
        private readonly List<string> started = [];

        public IReadOnlyList<string> Started
        {
            get { lock (started) return started.ToList(); }
        }

        public int Epochs => Volatile.Read(ref epochs);

        public void TrialStarted(TrialSpec trial, int number, int total, string node)
        {
            lock (started)
                started.Add(trial.Id);
        }

        public void TrialResumed(TrialSpec trial, int afterEpoch, string node)
        {
        }

        public void LedgerOpened(string ledger, GridChange? change, int finished, int stillOut)
        {
        }

        public void TrialAdopted(TrialSpec trial, int atEpoch, string node)
        {
        }

        public void EpochFinished(TrialSpec trial, EpochMetrics metrics) => Interlocked.Increment(ref epochs);

        public void TrialFinished(TrialSpec trial, TrialSummary summary)
        {
        }

        public void TrialRequeued(TrialSpec trial, string reason)
        {
        }
    }
}
