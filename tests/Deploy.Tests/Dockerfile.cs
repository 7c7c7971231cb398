using System.Text.RegularExpressions;

namespace GridSweep.Deploy.Tests;

/// <summary>A Dockerfile of deploy/docker, as instructions (continuation lines joined, comments dropped).</summary>
internal sealed partial record Dockerfile(string Path, string Text, IReadOnlyList<(string Keyword, string Arguments)> Instructions)
{
    public static IReadOnlyList<Dockerfile> All() =>
        Directory.EnumerateFiles(Repository.DockerDir, "*.Dockerfile").Order(StringComparer.Ordinal).Select(Read).ToList();

    public static Dockerfile Named(string name) => Read(System.IO.Path.Combine(Repository.DockerDir, name));

    public static Dockerfile Read(string path)
    {
        var text = File.ReadAllText(path);
        var instructions = new List<(string, string)>();
        var current = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (current.Length == 0 && (line.TrimStart().StartsWith('#') || line.Trim().Length == 0))
                continue;
            if (current.Length > 0 && line.TrimStart().StartsWith('#'))
                continue;
            current += line.EndsWith('\\') ? line[..^1] + " " : line;
            if (line.EndsWith('\\'))
                continue;
            var parts = current.Trim().Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
            instructions.Add((parts[0].ToUpperInvariant(), parts.Length > 1 ? Spaces().Replace(parts[1], " ").Trim() : ""));
            current = "";
        }
        return new Dockerfile(path, text, instructions);
    }

    public IEnumerable<string> Arguments(string keyword) =>
        Instructions.Where(i => i.Keyword == keyword).Select(i => i.Arguments);

    /// <summary>Names set by ENV (NAME=value pairs, or the old ENV NAME value).</summary>
    public IEnumerable<string> EnvNames =>
        Arguments("ENV").SelectMany(a => a.Contains('=')
            ? EnvPair().Matches(a).Select(m => m.Groups[1].Value)
            : [a.Split(' ')[0]]);

    /// <summary>COPY sources taken from the build context (not --from another stage).</summary>
    public IEnumerable<string> ContextSources =>
        Arguments("COPY").Where(a => !a.StartsWith("--from", StringComparison.Ordinal))
            .SelectMany(a => a.Split(' ').Where(p => !p.StartsWith("--", StringComparison.Ordinal)).SkipLast(1));

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=")]
    private static partial Regex EnvPair();
}

/// <summary>The .dockerignore rules as Docker applies them: globs on paths from the context root, ** for
/// any number of folders, a match on a folder excludes what is inside, later ! rules re-include.</summary>
internal sealed class DockerIgnore(IReadOnlyList<(Regex Pattern, bool Exclude)> rules)
{
    public static DockerIgnore Read(string path) => new(File.ReadAllLines(path)
        .Select(l => l.Trim())
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .Select(l => l.StartsWith('!') ? (Compile(l[1..]), false) : (Compile(l), true))
        .ToList());

    public bool Excludes(string relativePath)
    {
        var excluded = false;
        var segments = relativePath.Split('/');
        foreach (var (pattern, exclude) in rules)
        {
            for (var n = 1; n <= segments.Length; n++)
            {
                if (pattern.IsMatch(string.Join('/', segments.Take(n))))
                {
                    excluded = exclude;
                    break;
                }
            }
        }
        return excluded;
    }

    private static Regex Compile(string glob)
    {
        glob = glob.Trim('/');
        var regex = new System.Text.StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                var slash = i + 2 < glob.Length && glob[i + 2] == '/';
                regex.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else if (c == '*')
                regex.Append("[^/]*");
            else if (c == '?')
                regex.Append("[^/]");
            else if (c == '[')
            {
                var end = glob.IndexOf(']', i);
                regex.Append(glob[i..(end + 1)]);
                i = end;
            }
            else
                regex.Append(Regex.Escape(c.ToString()));
        }
        return new Regex(regex.Append('$').ToString());
    }
}
