using System.Text.RegularExpressions;

namespace GridSweep.Deploy.Tests;

/// <summary>deploy/docker/*.Dockerfile: what they copy exists in the build context (the repository root),
/// they restore every project they publish, and they run as a non-root user on a runtime image.</summary>
public sealed partial class DockerfileSpecs
{
    public static TheoryData<string, string> Images => new()
    {
        { "coordinator.Dockerfile", "src/Coordinator/GridSweep.Coordinator.csproj" },
        { "trainer-cpu.Dockerfile", "src/TrainerNode/GridSweep.TrainerNode.csproj" },
        { "trainer-cuda.Dockerfile", "src/TrainerNode/GridSweep.TrainerNode.csproj" },
    };

    [Fact]
    public void There_is_one_Dockerfile_per_image()
    {
        Assert.Equal(
            ["coordinator.Dockerfile", "trainer-cpu.Dockerfile", "trainer-cuda.Dockerfile"],
            Dockerfile.All().Select(d => Path.GetFileName(d.Path)));
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Every_path_it_copies_exists_and_is_in_the_build_context(string name, string project)
    {
        var dockerfile = Dockerfile.Named(name);
        var ignore = DockerIgnore.Read(Repository.DockerIgnore);
        var sources = dockerfile.ContextSources.ToList();
        Assert.Contains(project, sources);
        foreach (var source in sources.Where(s => !s.Contains('[') && !s.Contains('*')))
        {
            var path = Repository.PathOf(source.TrimEnd('/'));
            Assert.True(File.Exists(path) || Directory.Exists(path), $"{name} copies {source}, which does not exist");
            Assert.False(ignore.Excludes(source.TrimEnd('/')), $"{name} copies {source}, which .dockerignore keeps out of the build context");
        }
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void It_restores_the_project_and_every_project_it_references_before_copying_the_code(string name, string project)
    {
        var dockerfile = Dockerfile.Named(name);
        var instructions = dockerfile.Instructions.ToList();
        var restore = instructions.FindIndex(i => i.Keyword == "RUN" && i.Arguments.StartsWith("dotnet restore", StringComparison.Ordinal));
        Assert.True(restore >= 0, $"{name}: no RUN dotnet restore");
        Assert.Contains(project, instructions[restore].Arguments);
        var copiedBefore = instructions.Take(restore).Where(i => i.Keyword == "COPY").SelectMany(i => i.Arguments.Split(' ')).ToHashSet();

        // MSBuild reads these for every project; Directory.Build.targets imports build/.
        foreach (var file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "build/" })
            Assert.True(copiedBefore.Contains(file), $"{name}: {file} must be copied before the restore");
        foreach (var csproj in ProjectClosure(project))
            Assert.True(copiedBefore.Contains(csproj), $"{name}: {csproj} ({project} references it) is not copied before the restore");
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void It_publishes_framework_dependent_for_linux_x64_on_the_sdk_and_runs_on_a_runtime_image_as_non_root(string name, string project)
    {
        var dockerfile = Dockerfile.Named(name);
        var froms = dockerfile.Arguments("FROM").ToList();
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0 AS build", froms[0]);
        var runtime = froms[^1];
        Assert.True(
            runtime is "mcr.microsoft.com/dotnet/runtime:10.0" or "mcr.microsoft.com/dotnet/aspnet:10.0" || CudaRuntime().IsMatch(runtime),
            $"{name}: final stage {runtime} is not a .NET runtime (or NVIDIA CUDA runtime) image");

        var publish = Assert.Single(dockerfile.Arguments("RUN"), a => a.StartsWith("dotnet publish", StringComparison.Ordinal));
        Assert.Contains(project, publish);
        Assert.Contains("-c Release -r linux-x64 --self-contained false", publish);

        var user = dockerfile.Arguments("USER").Last();
        Assert.DoesNotMatch("^(root|0)(:|$)", user);
        var instructions = dockerfile.Instructions.ToList();
        Assert.True(instructions.FindLastIndex(i => i.Keyword == "USER") > instructions.FindLastIndex(i => i.Keyword == "FROM"),
            $"{name}: the final stage must switch to the non-root user");

        // The entry point is the published program's own executable.
        var assembly = AssemblyName(project);
        var entrypoint = dockerfile.Arguments("ENTRYPOINT").Last();
        Assert.Equal($"[\"/app/{assembly}\"]", entrypoint);
    }

    [Fact]
    public void The_cuda_image_is_the_cuda_build_on_a_cuda_runtime()
    {
        var cuda = Dockerfile.Named("trainer-cuda.Dockerfile");
        var builds = cuda.Arguments("RUN").Where(a => a.StartsWith("dotnet restore", StringComparison.Ordinal) || a.StartsWith("dotnet publish", StringComparison.Ordinal)).ToList();

        Assert.Equal(2, builds.Count);
        Assert.All(builds, b => Assert.Contains("-p:TorchBackend=cuda", b));
        Assert.Matches(CudaRuntime(), cuda.Arguments("FROM").Last());
        Assert.Contains("must be reachable from the build's NuGet feed", cuda.Text.ReplaceLineEndings(" ").Replace("# ", ""));
        foreach (var cpu in new[] { "coordinator.Dockerfile", "trainer-cpu.Dockerfile" })
            Assert.DoesNotContain("TorchBackend=cuda", Dockerfile.Named(cpu).Text);
    }

    [Fact]
    public void Dockerignore_keeps_build_output_results_and_secrets_out_of_the_context()
    {
        var ignore = DockerIgnore.Read(Repository.DockerIgnore);

        foreach (var path in new[]
                 {
                     "src/Coordinator/bin/Release/net10.0/linux-x64/gridsweep.dll", "src/TrainerNode/obj/project.assets.json",
                     "runs/imdb-overfitting/epochs.csv", ".git/HEAD", "deploy/.env", "deploy/validate/node_modules/yaml/package.json",
                 })
            Assert.True(ignore.Excludes(path), $".dockerignore should keep {path} out");
        foreach (var path in new[]
                 {
                     "src/Coordinator/Program.cs", "src/TrainerNode/GridSweep.TrainerNode.csproj", "Directory.Build.props",
                     "build/TorchSharpNatives.targets", "deploy/.env.example",
                 })
            Assert.False(ignore.Excludes(path), $".dockerignore should let {path} in");
    }

    /// <summary>The project and every project it references, transitively, as repository paths.</summary>
    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new List<string>();
        var pending = new Queue<string>([project]);
        while (pending.TryDequeue(out var current))
        {
            if (seen.Contains(current))
                continue;
            seen.Add(current);
            foreach (Match m in ProjectReference().Matches(File.ReadAllText(Repository.PathOf(current))))
            {
                var full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Repository.PathOf(current))!, m.Groups[1].Value));
                pending.Enqueue(Repository.Relative(full));
            }
        }
        return seen;
    }

    private static string AssemblyName(string project)
    {
        var m = AssemblyNameProperty().Match(File.ReadAllText(Repository.PathOf(project)));
        return m.Success ? m.Groups[1].Value : Path.GetFileNameWithoutExtension(project);
    }

    [GeneratedRegex(@"^nvidia/cuda:[\w.]+-(?:cudnn-)?runtime-ubuntu[\d.]+$")]
    private static partial Regex CudaRuntime();

    [GeneratedRegex(@"<ProjectReference\s+Include=""([^""]+)""")]
    private static partial Regex ProjectReference();

    [GeneratedRegex(@"<AssemblyName>([^<]+)</AssemblyName>")]
    private static partial Regex AssemblyNameProperty();
}
