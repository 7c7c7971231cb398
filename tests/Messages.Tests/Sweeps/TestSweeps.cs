using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Tests.Sweeps;

/// <summary>Small sweep files and helpers shared by the sweep specs.</summary>
internal static class TestSweeps
{
    public const string File = "sweeps/test.yaml";

    /// <summary>The least a sweep file must say; everything else takes its default.</summary>
    public const string Minimal = """
        name: tiny
        dataset: {name: imdb}
        grid:
          model:
            small: {hidden: [4]}
        """;

    public static SweepSpec Parse(string yaml) => SweepSpecParser.Parse(yaml, File);

    public static IReadOnlyList<SpecError> Errors(string yaml) =>
        Assert.Throws<SweepSpecException>(() => Parse(yaml)).Errors;

    public static SpecError SingleError(string yaml) => Assert.Single(Errors(yaml));

    /// <summary>The repository root, found by walking up from the test binaries to the solution file.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "GridSweep.slnx")))
                return dir.FullName;
        }

        Assert.Fail($"GridSweep.slnx not found above {AppContext.BaseDirectory}; run the tests from a checkout of the repository.");
        return "";
    }
}
