using GridSweep.TestKit;

namespace GridSweep.Deploy.Tests;

/// <summary>
/// Runs the command-line tools the checks need. A missing tool fails the test with the command that
/// installs it (scripts/test.sh runs those), never a silent pass.
/// </summary>
internal static class Tools
{
    public const string ComposeInstall = "apt-get install docker-compose (Debian's package; scripts/test.sh installs it)";
    public const string NodeInstall = "apt-get install nodejs npm (scripts/test.sh installs them when node is missing)";
    public const string ValidatePackagesInstall = "npm ci --prefix deploy/validate (scripts/test.sh runs it)";

    /// <summary>Runs a tool in the repository's root to completion (killed after <paramref name="timeout"/>, 2 minutes unless told).</summary>
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        ChildProcess.Run(fileName, arguments, Repository.Root, timeout: timeout ?? TimeSpan.FromMinutes(2));

    /// <summary>The full path of an executable on PATH (or in the usual system folders), or null.</summary>
    public static string? Find(string name) => ChildProcess.FindExecutable(name);

    /// <summary>
    /// How to call Docker Compose without a Docker engine: Debian's docker-compose (v1) or the docker CLI's
    /// compose plugin (v2). Both validate and print the model without a daemon.
    /// </summary>
    public static (string FileName, string[] Prefix) Compose()
    {
        if (Find("docker-compose") is { } v1)
            return (v1, []);
        if (Find("docker") is { } docker && Run(docker, ["compose", "version"]).ExitCode == 0)
            return (docker, ["compose"]);
        Assert.Fail($"Docker Compose is needed to validate deploy/docker-compose.yml: {ComposeInstall}");
        throw new InvalidOperationException();
    }

    /// <summary>node, with deploy/validate's pinned packages installed.</summary>
    public static string NodeWithValidatePackages()
    {
        var node = Find("node") ?? Find("nodejs");
        Assert.True(node is not null, $"Node.js is needed to validate deploy/k8s: {NodeInstall}");
        foreach (var package in new[] { "kubernetes-models", "yaml" })
        {
            Assert.True(File.Exists(Path.Combine(Repository.ValidateDir, "node_modules", package, "package.json")),
                $"deploy/validate's package {package} is not installed: {ValidatePackagesInstall}");
        }
        return node!;
    }
}
