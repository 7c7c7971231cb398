using System.Reflection;
using System.Text.RegularExpressions;
using GridSweep.Runtime.CommandLine;
using GridSweep.Runtime.Configuration;

namespace GridSweep.Deploy.Tests;

/// <summary>
/// The environment variables a GridSweep program reads, derived from the program rather than listed by hand,
/// so a setting renamed in the code fails the deploy checks:
/// <list type="bullet">
/// <item>the settings its commands bind (<see cref="CommandFlags"/>): every property <c>P</c> of an options
/// class bound from section <c>GridSweep:S</c> gives <c>GridSweep__S__P</c> (<c>GridSweep__S__P__N</c> for a list);</item>
/// <item>names the code reads literally (<c>GetEnvironmentVariable("X")</c>, <c>environment("X")</c>, a
/// <c>const string ...Variable = "X"</c>) in its project and the projects it references;</item>
/// <item>the .NET runtime's own <c>DOTNET_*</c>.</item>
/// </list>
/// </summary>
internal sealed partial class AppEnvironment
{
    /// <summary>The coordinator's own program (its image): coordinator, status, report; no trainer settings.</summary>
    public static readonly AppEnvironment Coordinator = Derive("src/Coordinator", CommandFlags.Coordinator(canTrain: false), CommandFlags.Status());

    public static readonly AppEnvironment Trainer = Derive("src/TrainerNode", CommandFlags.Trainer());

    private readonly Dictionary<string, bool> settings; // GridSweep__Section__Property -> is a list
    private readonly HashSet<string> literals;

    private AppEnvironment(string project, Dictionary<string, bool> settings, HashSet<string> literals, IReadOnlyList<string> sections)
    {
        Project = project;
        this.settings = settings;
        this.literals = literals;
        Sections = sections;
    }

    public string Project { get; }

    /// <summary>The configuration sections bound from the environment, e.g. GridSweep:Cluster.</summary>
    public IReadOnlyList<string> Sections { get; }

    public IEnumerable<string> Names => settings.Keys.Concat(literals).Order(StringComparer.Ordinal);

    public bool Reads(string name)
    {
        if (name.StartsWith("DOTNET_", StringComparison.Ordinal) || literals.Contains(name))
            return true;
        // .NET configuration keys are case-insensitive; a list element is Key__0, Key__1, ...
        if (settings.ContainsKey(name))
            return true;
        var element = ListElement().Match(name);
        return element.Success && settings.TryGetValue(element.Groups[1].Value, out var isList) && isList;
    }

    public override string ToString() => $"{Project} (reads {string.Join(", ", Names)}, DOTNET_*)";

    public static AppEnvironment Derive(string project, params FlagSet[] commands)
    {
        var sections = new List<string>();
        var settings = new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
        foreach (var type in commands.SelectMany(c => c.Sections).Distinct())
        {
            var section = (string)type.GetProperty(nameof(IOptionsSection.Section), BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            sections.Add(section);
            foreach (var (property, _) in OptionsBinder.Settings(type))
                settings[$"{section.Replace(":", "__")}__{property.Name}"] = property.PropertyType == typeof(List<string>);
        }

        // Literal names: in this project and the projects it references (their code runs in this process).
        var projectDir = Repository.PathOf(project);
        var literalSources = Sources(projectDir).ToList();
        foreach (var referenced in ReferencedProjects(projectDir))
            literalSources.AddRange(Sources(referenced));
        var literals = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in literalSources.Distinct())
        {
            foreach (Match m in LiteralVariable().Matches(File.ReadAllText(file)))
                literals.Add(m.Groups["name"].Value);
        }
        return new AppEnvironment(project, settings, literals, sections);
    }

    private static IEnumerable<string> Sources(string dir) =>
        Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") &&
                        !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));

    private static IEnumerable<string> ReferencedProjects(string projectDir)
    {
        var seen = new HashSet<string>();
        var pending = new Queue<string>([projectDir]);
        while (pending.TryDequeue(out var dir))
        {
            foreach (var csproj in Directory.EnumerateFiles(dir, "*.csproj"))
            {
                foreach (Match m in ProjectReference().Matches(File.ReadAllText(csproj)))
                {
                    var referenced = Path.GetFullPath(Path.Combine(dir, Path.GetDirectoryName(m.Groups[1].Value.Replace('\\', '/'))!));
                    if (seen.Add(referenced))
                    {
                        pending.Enqueue(referenced);
                        yield return referenced;
                    }
                }
            }
        }
    }

    [GeneratedRegex(@"(?:GetEnvironmentVariable|environment)\(""(?<name>[A-Z][A-Z0-9_]*)""\)|const\s+string\s+\w*Variable\w*\s*=\s*""(?<name>[A-Z][A-Z0-9_]*)""")]
    private static partial Regex LiteralVariable();

    [GeneratedRegex(@"^(.+)__\d+$")]
    private static partial Regex ListElement();

    [GeneratedRegex(@"<ProjectReference\s+Include=""([^""]+)""")]
    private static partial Regex ProjectReference();
}
