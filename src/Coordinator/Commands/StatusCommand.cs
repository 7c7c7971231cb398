using System.Globalization;
using System.CommandLine;
using Akka.Actor;
using GridSweep.Runtime.Cluster;
using GridSweep.Messages.Protocol;
using GridSweep.Runtime.CommandLine;
using GridSweep.Runtime.Configuration;
using Spectre.Console;

namespace GridSweep.Coordinator.Commands;

/// <summary><c>gridsweep status</c>: asks a running coordinator how its sweep stands, per trainer node.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var command = new Command("status", "Ask a running coordinator for queued, running, completed and failed trials per node.");
        var flags = CommandFlags.Status();
        flags.AddTo(command);
        var timeout = new Option<int>("--timeout") { Description = "How long to wait for an answer, in seconds. Default: 10.", HelpName = "SECONDS", DefaultValueFactory = _ => 10 };
        command.Options.Add(timeout);
        command.SetAction((result, cancellationToken) =>
        {
            var configuration = flags.Configuration(result);
            var problems = new SettingProblems();
            var cluster = OptionsBinder.Bind<ClusterNodeOptions>(configuration, problems);
            var tlsOptions = OptionsBinder.Bind<TlsOptions>(configuration, problems);
            problems.ThrowIfAny();
            // A coordinator running TLS answers only a client with a certificate it trusts: status presents one too.
            var tls = TlsSettings.ForClient(tlsOptions);
            var seconds = result.GetValue(timeout);
            if (seconds <= 0)
                throw new InputException($"--timeout: '{seconds}' is not a positive number of seconds");
            var port = cluster.Port == 0 ? ClusterNodeOptions.DefaultCoordinatorPort : cluster.Port;
            // A coordinator's own settings name the address it binds; asked from its node, a wildcard means itself.
            var host = cluster.Host is "0.0.0.0" or "::" ? cluster.PublicHost ?? "127.0.0.1" : cluster.Host;
            return AskAsync(host, port, tls, TimeSpan.FromSeconds(seconds), cancellationToken);
        });
        return command;
    }

    private static async Task<int> AskAsync(string host, int port, TlsSettings? tls, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // A plain remoting client: asking does not make this process a cluster member.
        var setup = RemotingClient.Setup(tls, "ERROR");
        using var system = ActorSystem.Create("gridsweep-status", setup);
        var address = $"{RemotingClient.Scheme(tls)}://{ClusterNames.System}@{host}:{port}/user/{ClusterNames.Status}";
        try
        {
            var status = await system.ActorSelection(address).Ask<SweepStatusResponse>(GetSweepStatus.Instance, timeout, cancellationToken);
            Print(status);
            return ExitCodes.Success;
        }
        catch (Exception error) when (error is AskTimeoutException or TaskCanceledException)
        {
            var hint = tls is null
                ? "; a coordinator that runs TLS answers only with --tls-certificate, --tls-key and --tls-ca"
                : "; if the coordinator runs TLS, check that each side's CA signed the other's certificate";
            throw new InputException($"no answer from a coordinator at {address} within {timeout.TotalSeconds} s{hint}", error);
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>
    /// The counts line and the best trial's line exactly as before (scripts read them), then a row per node that reads at
    /// 80 columns whatever the sweep's size.
    /// </summary>
    internal static void Print(IAnsiConsole console, SweepStatusResponse status)
    {
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sweep {status.Sweep}: {status.Total} trials, {status.Queued} queued, {status.Running} running, " +
            $"{status.Completed} completed, {status.Diverged} diverged, {status.Failed} failed"));
        if (status.Best is { } best)
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"best so far: {best.Model} / {best.Regularizer} ({best.TrialId}), val_loss {best.ValLoss:F4} at epoch {best.Epoch}, {best.Metric} {best.MetricValue:F4}"));
        var table = new Table().Border(TableBorder.Simple).AddColumns("node", "device", "slots", "running", "completed", "failed", "state");
        foreach (var node in status.Nodes.OrderBy(n => n.NodeId))
            table.AddRow(Markup.Escape(node.NodeId), Markup.Escape(node.Device), N(node.Slots), N(node.Running), N(node.Completed), N(node.Failed), Markup.Escape(node.Standing));
        console.Write(table);
        // Why a node gets no work (or one trial at a time), a line each, under the table.
        foreach (var node in status.Nodes.Where(n => n.Standing != NodeStatus.Ok).OrderBy(n => n.NodeId))
            console.WriteLine(Explain(node));
    }

    private static string Explain(NodeStatus node) => node.Standing switch
    {
        NodeStatus.Quarantined => string.Create(CultureInfo.InvariantCulture,
            $"{node.NodeId} quarantined{(node.QuarantinedUntil is { } until ? $" until {until.UtcDateTime:HH:mm:ss} UTC" : "")}: {node.Reason}"),
        NodeStatus.Probation => $"{node.NodeId} on probation, one trial at a time, after a quarantine: {node.Reason}",
        NodeStatus.Suspect => $"{node.NodeId} suspect: it failed trials in a row and gets no work while the other nodes show whether the fault is its own",
        _ => $"{node.NodeId} {node.Standing}",
    };

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Print(SweepStatusResponse status) => Print(AnsiConsole.Console, status);
}
