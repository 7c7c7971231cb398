using System.CommandLine;
using System.Globalization;
using GridSweep.Runtime.Cluster;
using GridSweep.Runtime.CommandLine;
using GridSweep.Runtime.Configuration;

namespace GridSweep.Coordinator.Commands;

/// <summary><c>gridsweep certs</c>: a development CA and node certificates for mutual TLS between cluster members.</summary>
public static class CertsCommand
{
    public static Command Create()
    {
        var command = new Command("certs",
            "Create a development certificate authority and a certificate per node for mutual TLS between cluster members: " +
            "DIR/ca.crt, DIR/ca.key and DIR/NODE.crt, DIR/NODE.key per --node (keys readable by their owner only). " +
            "An existing ca.crt and ca.key in DIR sign the new nodes, so nodes can be added later. " +
            "Give each node --tls-certificate DIR/NODE.crt --tls-key DIR/NODE.key --tls-ca DIR/ca.crt, and keep ca.key off the nodes. " +
            "For production, certificates from your own CA work the same (README, \"Security\", has the openssl equivalent).");
        var output = new Option<string>("--out") { Description = "Folder for the files (created if missing).", HelpName = "DIR", Required = true };
        var nodes = new Option<string[]>("--node")
        {
            Description = "A node certificate to make, named NAME (its file name and common name, also a DNS name in it); " +
                "=HOST,... adds the host names and IP addresses peers reach it by. Repeat for several, e.g. --node coordinator=10.0.0.5 --node trainer-1.",
            HelpName = "NAME[=HOST,...]",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var hosts = new Option<string[]>("--san") { Description = "A host name or IP address added to every node's certificate, e.g. localhost or 127.0.0.1; repeat for several.", HelpName = "HOST" };
        var days = new Option<int>("--days") { Description = "How long the node certificates are valid, in days. Default: 365.", HelpName = "DAYS", DefaultValueFactory = _ => 365 };
        var caDays = new Option<int>("--ca-days") { Description = "How long a new CA is valid, in days. Default: 3650.", HelpName = "DAYS", DefaultValueFactory = _ => 3650 };
        command.Options.Add(output);
        command.Options.Add(nodes);
        command.Options.Add(hosts);
        command.Options.Add(days);
        command.Options.Add(caDays);
        command.SetAction(result =>
        {
            var folder = result.GetRequiredValue(output);
            var extra = result.GetValue(hosts) ?? [];
            var nodeDays = result.GetValue(days);
            var authorityDays = result.GetValue(caDays);
            if (nodeDays <= 0)
                throw new InputException($"--days: '{nodeDays}' is not a positive number of days");
            if (authorityDays <= 0)
                throw new InputException($"--ca-days: '{authorityDays}' is not a positive number of days");
            if (File.Exists(folder))
                throw new InputException($"--out: '{folder}' is a file; the certificates need a folder there");
            var requests = (result.GetValue(nodes) ?? []).Select(node => Parse(node, extra)).ToList();
            var duplicate = requests.GroupBy(r => r.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
                throw new InputException($"--node: '{duplicate.Key}' is given twice");
            foreach (var file in DevelopmentCertificates.Create(folder, requests, nodeDays, authorityDays))
                Console.WriteLine(file.Sha256 is null ? $"wrote {file.Path}" : string.Create(CultureInfo.InvariantCulture, $"wrote {file.Path} (SHA-256 {file.Sha256})"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static NodeCertificateRequest Parse(string node, IReadOnlyList<string> extra)
    {
        var equals = node.IndexOf('=', StringComparison.Ordinal);
        var name = (equals < 0 ? node : node[..equals]).Trim();
        var hosts = equals < 0 ? [] : node[(equals + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // The name becomes a file name and a DNS name: letters, digits, '-' and '.', as host names have.
        if (name.Length == 0 || name.Length > 63 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.') || name.StartsWith('.') || name.StartsWith('-'))
            throw new InputException($"--node: '{node}' does not start with a name of letters, digits, '-' and '.' (at most 63), e.g. trainer-1");
        foreach (var host in hosts.Concat(extra))
        {
            if (System.Net.IPAddress.TryParse(host, out _))
                continue;
            if (Uri.CheckHostName(host) != UriHostNameType.Dns)
                throw new InputException($"--node/--san: '{host}' is neither a host name nor an IP address");
        }
        return new NodeCertificateRequest(name, [.. hosts, .. extra]);
    }
}
