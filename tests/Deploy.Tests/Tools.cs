using System.Diagnostics;

namespace GridSweep.Deploy.Tests;

/// <summary>The result of a finished process.</summary>
internal sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => $"exit code {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs the command-line tools the checks need. A missing tool fails the test with the command that
/// installs it (scripts/test.sh runs those), never a silent pass.
/// </summary>
internal static class Tools
{
    public const string ComposeInstall = "apt-get install docker-compose (Debian's package; scripts/test.sh installs it)";
    public const string NodeInstall = "apt-get install nodejs npm (scripts/test.sh installs them when node is missing)";
    public const string ValidatePackagesInstall = "npm ci --prefix deploy/validate (scripts/test.sh runs it)";

    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Repository.Root,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish in time");
        }
        process.WaitForExit();
        return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

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
