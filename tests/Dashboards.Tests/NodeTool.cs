using System.Diagnostics;

namespace GridSweep.Dashboards.Tests;

/// <summary>Runs Node.js scripts of <c>dashboards/schema</c>; fails saying how to install what is missing.</summary>
public static class NodeTool
{
    public const string InstallNode = "apt-get install -y nodejs npm";

    /// <summary><c>node</c> on the PATH, or a failure naming the install command.</summary>
    public static string FindNode()
    {
        var node = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/local/bin"])
            .Select(folder => Path.Combine(folder, "node"))
            .FirstOrDefault(File.Exists);
        return node ?? throw new InvalidOperationException(
            $"node (Node.js 18 or newer) is not installed, and the dashboard schema check needs it: `{InstallNode}` " +
            "(Debian/Ubuntu; ./scripts/test.sh does it), then `npm ci` in dashboards/schema.");
    }

    /// <summary>Fails unless <c>npm ci</c> has installed the pinned packages in <c>dashboards/schema</c>.</summary>
    public static void RequirePackages()
    {
        var folder = DashboardFiles.SchemaFolder;
        foreach (var package in new[] { "@grafana/schema", "ts-json-schema-generator" })
        {
            if (!File.Exists(Path.Combine(folder, "node_modules", package, "package.json")))
            {
                throw new InvalidOperationException(
                    $"{package} is not installed in {folder}: run `npm ci` there (./scripts/test.sh does it; needs `{InstallNode}`).");
            }
        }
    }

    public static (int ExitCode, string Output) Run(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(FindNode())
        {
            WorkingDirectory = DashboardFiles.SchemaFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish within 3 minutes");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
