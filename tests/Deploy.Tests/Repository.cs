namespace GridSweep.Deploy.Tests;

/// <summary>Paths in the repository the tests run from (found by walking up to GridSweep.slnx).</summary>
internal static class Repository
{
    public static readonly string Root = FindRoot();

    public static string DeployDir => Path.Combine(Root, "deploy");
    public static string ComposeFile => Path.Combine(DeployDir, "docker-compose.yml");
    public static string EnvExample => Path.Combine(DeployDir, ".env.example");
    public static string K8sDir => Path.Combine(DeployDir, "k8s");
    public static string DockerDir => Path.Combine(DeployDir, "docker");
    public static string ValidateDir => Path.Combine(DeployDir, "validate");
    public static string DockerIgnore => Path.Combine(Root, ".dockerignore");

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>A path relative to the root, with forward slashes, for messages.</summary>
    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace(Path.DirectorySeparatorChar, '/');

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GridSweep.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no GridSweep.slnx above {AppContext.BaseDirectory}");
    }
}
