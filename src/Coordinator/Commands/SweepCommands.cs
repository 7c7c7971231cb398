using System.CommandLine;
using GridSweep.Coordinator.Hosting;
using GridSweep.Runtime.Configuration;
using GridSweep.Runtime.CommandLine;
using GridSweep.Runtime.Cluster;
using GridSweep.Runtime.Hosting;

namespace GridSweep.Coordinator.Commands;

/// <summary><c>gridsweep run</c> (embedded: coordinator and trainer slots in one process) and <c>gridsweep coordinator</c> (the head node).</summary>
public static class SweepCommands
{
    /// <summary>Where a program without trainer slots points users who ask it to train.</summary>
    public const string NoTrainersHint =
        "this program only coordinates (no TorchSharp); training in this process needs the full gridsweep program: " +
        "dotnet run --project src/Cli -- run SPEC";

    public static Command Run(ILocalTrainers? localTrainers)
    {
        var command = new Command("run", "Train every trial of a sweep file on this machine and write epochs.csv and trials.csv (and the report) under --out.");
        var spec = SpecArgument();
        command.Arguments.Add(spec);
        if (localTrainers is null)
        {
            // The coordinator's own program cannot train: it says where to go instead of "unknown command".
            command.TreatUnmatchedTokensAsErrors = false;
            command.SetAction(new Func<ParseResult, int>(_ => throw new InputException($"run: {NoTrainersHint}")));
            return command;
        }
        var flags = CommandFlags.Run();
        flags.AddTo(command);
        command.SetAction((result, cancellationToken) =>
        {
            var configuration = flags.Configuration(result);
            var problems = new SettingProblems();
            var sweep = OptionsBinder.Bind<SweepOptions>(configuration, problems);
            var trainer = OptionsBinder.Bind<TrainerOptions>(configuration, problems);
            var influx = OptionsBinder.Bind<InfluxOptions>(configuration, problems);
            problems.ThrowIfAny();
            trainer.Slots ??= 1;
            if (trainer.Slots == 0)
                throw new InputException($"--slots: '0' leaves nothing to train the sweep; give 1 or more (setting {TrainerOptions.Section}:Slots)");
            trainer.NodeId ??= "local";
            return new SweepLauncher(new SweepLaunch(result.GetRequiredValue(spec), sweep, trainer, influx, Cluster: null, localTrainers))
                .RunAsync(cancellationToken);
        });
        return command;
    }

    public static Command Coordinator(ILocalTrainers? localTrainers)
    {
        var command = new Command("coordinator", "Run a sweep as the cluster's head node: trainer nodes join it (--seed-node HOST:PORT) and train its trials. " +
            "With --seed-node it joins other coordinator nodes as a standby that takes the sweep over (from a shared --ledger) when the active one is gone.");
        var spec = SpecArgument();
        command.Arguments.Add(spec);
        var flags = CommandFlags.Coordinator(canTrain: localTrainers is not null);
        flags.AddTo(command);
        command.SetAction((result, cancellationToken) =>
        {
            var configuration = flags.Configuration(result);
            var problems = new SettingProblems();
            var sweep = OptionsBinder.Bind<SweepOptions>(configuration, problems);
            var influx = OptionsBinder.Bind<InfluxOptions>(configuration, problems);
            var cluster = OptionsBinder.Bind<ClusterNodeOptions>(configuration, problems);
            var tls = OptionsBinder.Bind<TlsOptions>(configuration, problems);
            // The coordinator's own program has no trainer settings: its node only coordinates.
            var trainer = localTrainers is null ? new TrainerOptions { Slots = 0 } : OptionsBinder.Bind<TrainerOptions>(configuration, problems);
            problems.ThrowIfAny();
            cluster.Tls = TlsSettings.From(tls, cluster);
            trainer.Slots ??= 0; // A head node only coordinates unless asked to train too.
            trainer.NodeId ??= $"{Environment.MachineName}-{Environment.ProcessId}";
            if (cluster.Port == 0)
                cluster.Port = ClusterNodeOptions.DefaultCoordinatorPort;
            // Without seed nodes the coordinator is the cluster's first node and seeds itself; with them it joins
            // other coordinator nodes as a standby, which runs the sweep when the one running it is gone.
            Console.WriteLine($"coordinator at {cluster.Scheme}://{Messages.Protocol.ClusterNames.System}@{cluster.PublicHost ?? cluster.Host}:{cluster.Port}" +
                (cluster.Tls is null ? "" : " (mutual TLS)"));
            return new SweepLauncher(new SweepLaunch(result.GetRequiredValue(spec), sweep, trainer, influx, cluster,
                trainer.Slots > 0 ? localTrainers : null)).RunAsync(cancellationToken);
        });
        return command;
    }

    private static Argument<string> SpecArgument() => new("SPEC") { Description = "Sweep file (YAML), e.g. sweeps/imdb-overfitting.yaml." };
}
