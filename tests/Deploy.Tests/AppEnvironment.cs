using System.Text.RegularExpressions;

namespace GridSweep.Deploy.Tests;

/// <summary>
/// The environment variables a GridSweep program reads, derived from its source rather than listed by
/// hand, so a setting renamed in the code fails the deploy checks:
/// <list type="bullet">
/// <item>configuration sections it reads through an environment-variable provider: bound
/// (<c>GetSection(X.Section)</c>), each settable property <c>P</c> of X giving <c>GridSweep__Section__P</c>
/// (<c>GridSweep__Section__P__N</c> for a list), or read by a method of X that takes the configuration,
/// each key of X's key table (<c>["Url"] = ...</c>) giving <c>GridSweep__Section__Url</c>;</item>
/// <item>names the code reads literally (<c>GetEnvironmentVariable("X")</c>, <c>environment("X")</c>, a
/// <c>const string ...Variable = "X"</c>) in its project and the projects it references;</item>
/// <item>the .NET runtime's own <c>DOTNET_*</c>.</item>
/// </list>
/// </summary>
internal sealed partial class AppEnvironment
{
    public static readonly AppEnvironment Coordinator = Derive("src/Coordinator");
    public static readonly AppEnvironment Trainer = Derive("src/TrainerNode");

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

    public static AppEnvironment Derive(string project)
    {
        var projectDir = Repository.PathOf(project);
        var ownSources = Sources(projectDir).ToList();
        var ownText = string.Join("\n", ownSources.Select(File.ReadAllText));

        // Sections: only those this program reads, and only if it adds environment variables to its configuration.
        var readsEnvironment = AddsEnvironment().IsMatch(ownText);
        var sections = new List<string>();
        var settings = new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
        foreach (var owner in SectionOwners(Sources(Repository.PathOf("src"))))
        {
            if (!readsEnvironment || sections.Contains(owner.Section) || !owner.IsReadBy(ownText))
                continue;
            sections.Add(owner.Section);
            foreach (var (key, isList) in owner.Keys)
                settings[$"{owner.Section.Replace(":", "__")}__{key}"] = isList;
        }

        // Literal names: in this project and the projects it references (their code runs in this process).
        var literalSources = new List<string>(ownSources);
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

    /// <summary>A class that declares <c>const string Section = "GridSweep:..."</c>, and the keys under it.</summary>
    private sealed record SectionOwner(string Type, string Section, IReadOnlyList<(string Key, bool IsList)> Keys, IReadOnlyList<string> ConfigurationReaders)
    {
        /// <summary>
        /// Read by a program whose code binds it (<c>GetSection(Type.Section)</c>, <c>GetSection("GridSweep:...")</c>)
        /// or calls one of its methods that take an <c>IConfiguration</c> (a reader with its own key table).
        /// </summary>
        public bool IsReadBy(string programText) =>
            programText.Contains($"GetSection({Type}.Section)", StringComparison.Ordinal) ||
            programText.Contains($"GetSection(\"{Section}\")", StringComparison.Ordinal) ||
            ConfigurationReaders.Any(method => programText.Contains($"{Type}.{method}(", StringComparison.Ordinal));
    }

    private static IEnumerable<SectionOwner> SectionOwners(IEnumerable<string> sources)
    {
        foreach (var file in sources)
        {
            var text = File.ReadAllText(file);
            foreach (Match constant in SectionConstant().Matches(text))
            {
                var declaration = ClassDeclaration().Matches(text[..constant.Index]).LastOrDefault();
                if (declaration is null)
                    continue;
                var body = Body(text, declaration.Index);
                var keys = Properties(text, declaration.Index, body).ToList();
                // A reader's key table: ["Url"] = "--influx-url", ...
                keys.AddRange(KeyTableEntry().Matches(body).Select(m => (m.Groups[1].Value, false)));
                var readers = ConfigurationReader().Matches(body).Select(m => m.Groups[1].Value).ToList();
                yield return new SectionOwner(declaration.Groups["name"].Value, constant.Groups[1].Value, keys, readers);
            }
        }
    }

    /// <summary>Settable public properties, and the parameters of a positional record.</summary>
    private static IReadOnlyList<(string, bool)> Properties(string text, int declarationIndex, string body)
    {
        var found = new List<(string, bool)>();
        var header = text[declarationIndex..text.IndexOfAny(['{', ';'], declarationIndex)];
        var parameters = header.IndexOf('(');
        if (parameters >= 0)
        {
            foreach (Match p in PositionalParameter().Matches(header[parameters..]))
                found.Add((p.Groups["name"].Value, IsList(p.Groups["type"].Value)));
        }
        foreach (Match p in SettableProperty().Matches(body))
            found.Add((p.Groups["name"].Value, IsList(p.Groups["type"].Value)));
        return found;
    }

    private static bool IsList(string type) =>
        type.EndsWith("[]", StringComparison.Ordinal) || ListType().IsMatch(type);

    /// <summary>The text between the braces of the declaration that starts at <paramref name="index"/>.</summary>
    private static string Body(string text, int index)
    {
        var open = text.IndexOf('{', index);
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == '{')
                depth++;
            else if (text[i] == '}' && --depth == 0)
                return text[(open + 1)..i];
        }
        return text[(open + 1)..];
    }

    // GridSweepConfiguration.Load() is the programs' shared appsettings.json + environment reader.
    [GeneratedRegex(@"AddEnvironmentVariables\(\)|Host\.CreateApplicationBuilder\((?:args)?\)|GridSweepConfiguration\.Load\(\)")]
    private static partial Regex AddsEnvironment();

    [GeneratedRegex(@"const\s+string\s+Section\s*=\s*""([^""]+)""")]
    private static partial Regex SectionConstant();

    [GeneratedRegex(@"\b(?:class|record)\s+(?<name>\w+)")]
    private static partial Regex ClassDeclaration();

    [GeneratedRegex(@"public\s+(?<type>[\w<>?,\[\]. ]+?)\s+(?<name>\w+)\s*\{\s*get;\s*(?:set|init);")]
    private static partial Regex SettableProperty();

    [GeneratedRegex(@"(?<type>[\w<>?,\[\].]+)\s+(?<name>[A-Z]\w*)\s*(?=[,)=])")]
    private static partial Regex PositionalParameter();

    [GeneratedRegex(@"^(?:I?List|IReadOnlyList|IEnumerable|ICollection|IReadOnlyCollection|HashSet|ISet)<")]
    private static partial Regex ListType();

    [GeneratedRegex(@"(?:GetEnvironmentVariable|environment)\(""(?<name>[A-Z][A-Z0-9_]*)""\)|const\s+string\s+\w*Variable\w*\s*=\s*""(?<name>[A-Z][A-Z0-9_]*)""")]
    private static partial Regex LiteralVariable();

    [GeneratedRegex(@"\[""([A-Z]\w*)""\]\s*=")]
    private static partial Regex KeyTableEntry();

    [GeneratedRegex(@"public\s+static\s+[\w<>\[\]?,. ]+\s+(\w+)\s*\(\s*IConfiguration\b")]
    private static partial Regex ConfigurationReader();

    [GeneratedRegex(@"^(.+)__\d+$")]
    private static partial Regex ListElement();

    [GeneratedRegex(@"<ProjectReference\s+Include=""([^""]+)""")]
    private static partial Regex ProjectReference();
}
