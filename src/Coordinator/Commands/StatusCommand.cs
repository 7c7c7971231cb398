using System.ComponentModel;
using Akka.Actor;
using Akka.Configuration;
using GridSweep.Messages.Protocol;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GridSweep.Coordinator.Commands;

/// <summary>Asks a running coordinator how its sweep stands, per trainer node.</summary>
public sealed class StatusCommand : AsyncCommand<StatusCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--host <HOST>")]
        [Description("The coordinator's host. Default: 127.0.0.1.")]
        [DefaultValue("127.0.0.1")]
        public string Host { get; init; } = "127.0.0.1";

        [CommandOption("--port <PORT>")]
        [Description("The coordinator's port. Default: 4053.")]
        [DefaultValue(CoordinatorCommand.DefaultPort)]
        public int Port { get; init; } = CoordinatorCommand.DefaultPort;

        [CommandOption("--timeout <SECONDS>")]
        [Description("How long to wait for an answer. Default: 10.")]
        [DefaultValue(10)]
        public int Timeout { get; init; } = 10;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // A plain remoting client: asking does not make this process a cluster member.
        var config = ConfigurationFactory.ParseString($$"""
            akka.loglevel = ERROR
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.actor.serializers.gridsweep = "{{typeof(ProtocolSerializer).AssemblyQualifiedName}}"
            akka.actor.serialization-bindings { "{{typeof(IGridSweepMessage).AssemblyQualifiedName}}" = gridsweep }
            """);
        using var system = ActorSystem.Create("gridsweep-status", config);
        var address = $"akka.tcp://{ClusterNames.System}@{settings.Host}:{settings.Port}/user/{ClusterNames.Status}";
        try
        {
            var status = await system.ActorSelection(address).Ask<SweepStatusResponse>(GetSweepStatus.Instance, TimeSpan.FromSeconds(settings.Timeout), cancellationToken);
            Print(status);
            return ExitCodes.Success;
        }
        catch (Exception error) when (error is AskTimeoutException or TaskCanceledException)
        {
            AnsiConsole.WriteLine($"no answer from a coordinator at {address} within {settings.Timeout} s");
            return ExitCodes.BadInput;
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static void Print(SweepStatusResponse status)
    {
        AnsiConsole.WriteLine($"sweep {status.Sweep}: {status.Total} trials, {status.Queued} queued, {status.Running} running, " +
            $"{status.Completed} completed, {status.Diverged} diverged, {status.Failed} failed");
        var table = new Table().Border(TableBorder.Simple).AddColumns("node", "device", "slots", "running", "completed", "failed");
        foreach (var node in status.Nodes.OrderBy(n => n.NodeId))
            table.AddRow(Markup.Escape(node.NodeId), Markup.Escape(node.Device), $"{node.Slots}", $"{node.Running}", $"{node.Completed}", $"{node.Failed}");
        AnsiConsole.Write(table);
    }
}
