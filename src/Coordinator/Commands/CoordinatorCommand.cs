using System.ComponentModel;
using GridSweep.Coordinator.Hosting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GridSweep.Coordinator.Commands;

/// <summary>The head node: the sweep coordinator as the cluster's seed, trainers join it from other machines.</summary>
public sealed class CoordinatorCommand : AsyncCommand<CoordinatorCommand.Settings>
{
    public sealed class Settings : SweepSettings
    {
        [CommandOption("--host <HOST>")]
        [Description("Address to bind. Default: GridSweep:Cluster:Host, else 127.0.0.1 (use 0.0.0.0 with --public-host in containers).")]
        public string? Host { get; init; }

        [CommandOption("--port <PORT>")]
        [Description("Port trainers join (their --seed-node akka.tcp://gridsweep@HOST:PORT). Default: GridSweep:Cluster:Port, else 4053.")]
        public int? Port { get; init; }

        [CommandOption("--public-host <HOST>")]
        [Description("Address trainers use to reach this node, when it differs from --host.")]
        public string? PublicHost { get; init; }

        [CommandOption("--stay")]
        [Description("When the sweep is finished, keep running (and answering status) until stopped, instead of exiting 0. For orchestrators that restart exited processes, such as a Kubernetes StatefulSet.")]
        public bool Stay { get; init; }

        [CommandOption("--slots <N>")]
        [Description("Also train N trials at once on this node. Default: 0 (the head node only coordinates).")]
        [DefaultValue(0)]
        public int Slots { get; init; }

        public override ValidationResult Validate() =>
            Slots < 0 ? ValidationResult.Error($"--slots: {Slots} is negative")
            : Port is < 1 or > 65535 ? ValidationResult.Error($"--port: {Port} is not a port (1-65535)")
            : base.Validate();
    }

    public const int DefaultPort = 4053;

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var cluster = SweepHost.ClusterSettingsFromConfiguration();
        cluster.Host = settings.Host ?? cluster.Host;
        cluster.Port = settings.Port ?? (cluster.Port == 0 ? DefaultPort : cluster.Port);
        cluster.PublicHost = settings.PublicHost ?? cluster.PublicHost;
        cluster.SeedNodes = [];
        AnsiConsole.MarkupLine($"coordinator at [bold]akka.tcp://gridsweep@{Markup.Escape(cluster.PublicHost ?? cluster.Host)}:{cluster.Port}[/]");
        return SweepLauncher.RunAsync(settings, settings.Slots, cluster, cancellationToken, settings.Stay);
    }
}
