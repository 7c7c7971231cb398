namespace GridSweep.Deploy.Tests;

/// <summary>
/// The arrows between the projects point one way: the coordinator's program (and so its image) carries no
/// TorchSharp or LibTorch; only the programs that train do.
/// </summary>
public sealed class LayoutSpecs
{
    [Fact]
    public void The_coordinator_program_references_no_TorchSharp_or_LibTorch_even_transitively()
    {
        var packages = TransitivePackages("src/Coordinator/GridSweep.Coordinator.csproj");

        Assert.Contains("Akka.Cluster", packages); // The listing is real: the coordinator is a cluster member.
        Assert.DoesNotContain(packages, p => p.Contains("torch", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void The_trainer_node_and_the_full_command_line_train_with_TorchSharp()
    {
        Assert.Contains("TorchSharp-cpu", TransitivePackages("src/TrainerNode/GridSweep.TrainerNode.csproj"));
        Assert.Contains("TorchSharp-cpu", TransitivePackages("src/Cli/GridSweep.Cli.csproj"));
    }

    /// <summary>`dotnet list package --include-transitive` of a project the suite has restored: the package ids.</summary>
    private static IReadOnlyList<string> TransitivePackages(string project)
    {
        var result = Tools.Run("dotnet", ["list", project, "package", "--include-transitive"], timeout: TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, $"dotnet list {project} package failed (restore the solution first):\n{result.Report}");
        return result.Output.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.StartsWith('>'))
            .Select(line => line[1..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0])
            .ToList();
    }
}
