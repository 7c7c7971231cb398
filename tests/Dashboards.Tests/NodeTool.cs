using GridSweep.TestKit;

namespace GridSweep.Dashboards.Tests;

/// <summary>Runs Node.js scripts of <c>dashboards/schema</c>; fails saying how to install what is missing.</summary>
public static class NodeTool
{
    public const string InstallNode = "apt-get install -y nodejs npm";

    /// <summary><c>node</c> on the PATH, or a failure naming the install command.</summary>
    public static string FindNode() =>
        ChildProcess.FindExecutable("node") ?? throw new InvalidOperationException(
            $"node (Node.js 18 or newer) is not installed, and the dashboard schema check needs it: `{InstallNode}` " +
            "(Debian/Ubuntu; ./scripts/test.sh does it), then `npm ci` in dashboards/schema.");

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
        var result = ChildProcess.Run(FindNode(), [script, .. arguments], DashboardFiles.SchemaFolder, timeout: TimeSpan.FromMinutes(3));
        return (result.ExitCode, result.All);
    }
}
