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

    /// <summary>
    /// A small sweep file: the usual lines with the ones a test is about given. Line by line:
    /// <code>
    /// name: tiny
    /// dataset: {name: imdb}
    /// training: ...                    (only when given)
    /// grid:
    ///   model: {small: {hidden: [4]}}  (none when model is null)
    ///   ...                            (more grid lines, when given)
    /// </code>
    /// A training or model value that starts with '{' or '[' stays on its key's line; any other is a block of
    /// lines indented under the key, one line of the file per line of the value.
    /// </summary>
    public static string Sweep(string? training = null, string dataset = "{name: imdb}", string? model = "{small: {hidden: [4]}}",
        string? grid = null, string name = "tiny")
    {
        List<string> lines = [$"name: {name}", $"dataset: {dataset}"];
        if (training is not null)
            lines.AddRange(Entry("training", training, ""));
        lines.Add("grid:");
        if (model is not null)
            lines.AddRange(Entry("model", model, "  "));
        if (grid is not null)
            lines.AddRange(grid.Split('\n').Select(line => "  " + line));
        return string.Join('\n', lines);

        static IEnumerable<string> Entry(string key, string value, string indent) =>
            value.StartsWith('{') || value.StartsWith('[')
                ? [$"{indent}{key}: {value}"]
                : [$"{indent}{key}:", .. value.Split('\n').Select(line => $"{indent}  {line}")];
    }

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
