using System.Text.RegularExpressions;

namespace GridSweep.Deploy.Tests;

/// <summary>One service of deploy/docker-compose.yml, as written (before interpolation).</summary>
internal sealed record ComposeService(
    string Name,
    string? Image,
    string? Dockerfile,
    IReadOnlyDictionary<string, string?> Environment,
    IReadOnlyList<string> Command,
    IReadOnlyList<string> Profiles,
    IReadOnlyList<string> Volumes,
    object? Raw)
{
    public string? Flag(string flag)
    {
        var i = Command.ToList().IndexOf(flag);
        return i >= 0 && i + 1 < Command.Count ? Command[i + 1] : null;
    }

    /// <summary>Every value of a repeatable flag, in order (<c>--seed-node A --seed-node B</c>).</summary>
    public IReadOnlyList<string> Flags(string flag) =>
        Command.Select((a, i) => (a, i)).Where(x => x.a == flag && x.i + 1 < Command.Count).Select(x => Command[x.i + 1]).ToList();

    public bool IsCoordinator => Dockerfile?.EndsWith("coordinator.Dockerfile", StringComparison.Ordinal) == true;

    public bool IsTrainer => Dockerfile?.Contains("trainer", StringComparison.Ordinal) == true;
}

internal static partial class ComposeFile
{
    public static IReadOnlyList<ComposeService> Services(string path)
    {
        var root = Yaml.Load(path);
        return root.Get("services").Entries().Select(s => Service(s.Key, s.Value)).ToList();
    }

    /// <summary>The variables the file interpolates: <c>${NAME}</c>, <c>${NAME:-default}</c>, <c>${NAME:?error}</c>.</summary>
    public static IReadOnlySet<string> InterpolatedVariables(string path) =>
        Interpolation().Matches(File.ReadAllText(path).Replace("$$", "")).Select(m => m.Groups[1].Value).ToHashSet();

    private static ComposeService Service(string name, object? node)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        var env = node.Get("environment");
        if (env is IList<object?> list)
        {
            foreach (var item in list.OfType<string>())
            {
                var eq = item.IndexOf('=');
                environment[eq < 0 ? item : item[..eq]] = eq < 0 ? null : item[(eq + 1)..];
            }
        }
        else
        {
            foreach (var (key, value) in env.Entries())
                environment[key] = value as string;
        }
        var command = node.Get("command") switch
        {
            string s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList(),
            IList<object?> items => items.Select(i => i?.ToString() ?? "").ToList(),
            _ => [],
        };
        return new ComposeService(
            name,
            node.Str("image"),
            node.Str("build", "dockerfile"),
            environment,
            command,
            node.Get("profiles").List().OfType<string>().ToList(),
            node.Get("volumes").List().OfType<string>().ToList(),
            node);
    }

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:]?[-?][^}]*)?\}")]
    private static partial Regex Interpolation();
}

/// <summary>deploy/.env.example: each variable with the comment of its block (the lines since the last blank one).</summary>
internal sealed record EnvExampleEntry(string Name, string Value, string Comment, int Line);

internal static class EnvExample
{
    public static IReadOnlyList<EnvExampleEntry> Read(string path)
    {
        var entries = new List<EnvExampleEntry>();
        var comment = new List<string>();
        var lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0)
            {
                comment.Clear();
                continue;
            }
            if (line.StartsWith('#'))
            {
                comment.Add(line.TrimStart('#').Trim());
                continue;
            }
            var eq = line.IndexOf('=');
            Assert.True(eq > 0, $"deploy/.env.example:{lineNumber}: not NAME=value: {line}");
            entries.Add(new EnvExampleEntry(line[..eq], line[(eq + 1)..], string.Join(" ", comment), lineNumber));
        }
        return entries;
    }
}
