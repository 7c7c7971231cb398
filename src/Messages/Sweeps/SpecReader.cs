using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace GridSweep.Messages.Sweeps;

/// <summary>An accepted range of values and how to tell a user about it.</summary>
internal sealed record Bounds<T>(Func<T, bool> Contains, string Description);

/// <summary>A mapping whose keys have been checked against the schema.</summary>
internal sealed class Section(YamlNode node, string path, IReadOnlyDictionary<string, YamlNode> values)
{
    public YamlNode Node { get; } = node;
    public string Path { get; } = path;
    public IReadOnlyDictionary<string, YamlNode> Values { get; } = values;

    public YamlNode? this[string key] => Values.GetValueOrDefault(key);
}

/// <summary>
/// Typed reads over the YAML representation model that record every mistake with its place and keep going.
/// A read that fails returns null, so the caller falls back to the default and the walk reaches the rest of the file.
/// </summary>
internal sealed class SpecReader(string file)
{
    private readonly List<SpecError> errors = [];

    /// <summary>Lets a caller tell whether one part of the file read cleanly.</summary>
    public int ErrorCount => errors.Count;

    /// <summary>Loads the single document of a file, or returns null after recording why it cannot.</summary>
    public YamlNode? LoadRoot(string yaml)
    {
        var stream = new YamlStream();
        var filter = new DuplicateKeyFilter(new Parser(new StringReader(yaml)), ReportRepeatedKey);
        try
        {
            stream.Load(filter);
        }
        catch (YamlException ex)
        {
            Error(ex.Start, "", ex.Message);
            return null;
        }
        catch (InvalidOperationException ex) when (ex.Source == "YamlDotNet")
        {
            // YamlDotNet's scanner throws this, without a position, on a flow collection ('{', '[') left open.
            Error(filter.LastEnd, "", "invalid YAML after this point; check for an unclosed '{' or '[' and the indentation");
            return null;
        }

        if (stream.Documents.Count == 0)
        {
            Error(Mark.Empty, "", "the file is empty; expected a sweep (name, dataset, training, grid)");
            return null;
        }

        foreach (var extra in stream.Documents.Skip(1))
            Error(extra.RootNode.Start, "", "a sweep file holds one YAML document; remove the extra '---' document");

        return stream.Documents[0].RootNode;
    }

    public void ThrowIfAny()
    {
        if (errors.Count > 0)
            throw new SweepSpecException([.. errors.OrderBy(e => e.Line).ThenBy(e => e.Column)]);
    }

    public void Error(YamlNode node, string path, string message) => Error(node.Start, path, message);

    public void Error(Mark at, string path, string message) =>
        errors.Add(new SpecError(file, checked((int)at.Line), checked((int)at.Column), path, message));

    /// <summary>Reads a mapping whose keys must come from <paramref name="allowed"/>; an empty value is an empty mapping.</summary>
    public Section? Mapping(YamlNode node, string path, IReadOnlyList<string> allowed)
    {
        if (IsNull(node))
            return new Section(node, path, new Dictionary<string, YamlNode>());
        if (node is not YamlMappingNode mapping)
        {
            Error(node, path, $"expected a mapping, found {Describe(node)}");
            return null;
        }

        var values = new Dictionary<string, YamlNode>();
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                Error(keyNode, path, $"expected a plain key, found {Describe(keyNode)}");
                continue;
            }

            if (allowed.Contains(key))
                values[key] = value;
            else
                Error(keyNode, YamlPath.Join(path, key), $"unknown key '{key}'; allowed keys: {string.Join(", ", allowed)}");
        }

        return new Section(node, path, values);
    }

    /// <summary>Reads a nested section; a missing optional one is null, a missing required one is also an error.</summary>
    public Section? Mapping(Section? parent, string key, IReadOnlyList<string> allowed, bool required = false) =>
        Field(parent, key, required) is { } node ? Mapping(node, YamlPath.Join(parent!.Path, key), allowed) : null;

    /// <summary>Reads a mapping of free-form names (grid entries), each name checked like the sweep name.</summary>
    public IReadOnlyList<(string Name, YamlNode Key, YamlNode Value)>? Entries(Section? parent, string key, bool required = false)
    {
        if (Field(parent, key, required) is not { } node)
            return null;
        var path = YamlPath.Join(parent!.Path, key);
        if (node is not YamlMappingNode mapping)
        {
            Error(node, path, $"expected a mapping of names to settings, found {Describe(node)}");
            return null;
        }

        var entries = new List<(string, YamlNode, YamlNode)>();
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (Name(keyNode, path) is { } name)
                entries.Add((name, keyNode, value));
        }

        if (mapping.Children.Count == 0)
            Error(node, path, "must list at least one entry");
        return entries;
    }

    /// <summary>A name that becomes a folder and a metrics tag, so it is kept to a portable character set.</summary>
    public string? Name(YamlNode node, string path)
    {
        if (Text(node, path) is not { } name)
            return null;
        if (SweepNames.IsValid(name))
            return name;
        Error(node, path, name.Length > SweepNames.MaxLength
            ? $"'{name[..20]}...' is {name.Length} characters long; a name has at most {SweepNames.MaxLength} (it becomes a folder and file names)"
            : $"'{name}' is not a valid name; {SweepNames.Rule}");
        return null;
    }

    public string? Name(Section? parent, string key, bool required = false) =>
        Field(parent, key, required) is { } node ? Name(node, YamlPath.Join(parent!.Path, key)) : null;

    public string? Text(Section? parent, string key, bool required = false) =>
        Field(parent, key, required) is { } node ? Text(node, YamlPath.Join(parent!.Path, key)) : null;

    public string? OneOf(Section? parent, string key, IReadOnlyList<string> allowed, bool required = false) =>
        Choice(parent, key, allowed.Contains, string.Join(", ", allowed), required);

    /// <summary>Reads a string that must pass <paramref name="isAllowed"/>; <paramref name="allowed"/> tells the user what would.</summary>
    public string? Choice(Section? parent, string key, Func<string, bool> isAllowed, string allowed, bool required = false) =>
        Field(parent, key, required) is { } node ? Choice(node, YamlPath.Join(parent!.Path, key), isAllowed, allowed) : null;

    /// <summary>Reads a string that must be one of <paramref name="allowed"/>, e.g. a list item.</summary>
    public string? OneOf(YamlNode node, string path, IReadOnlyList<string> allowed) =>
        Choice(node, path, allowed.Contains, string.Join(", ", allowed));

    public string? Choice(YamlNode node, string path, Func<string, bool> isAllowed, string allowed)
    {
        if (Text(node, path) is not { } value)
            return null;
        if (isAllowed(value))
            return value;
        Error(node, path, $"'{value}' is not allowed; allowed values: {allowed}");
        return null;
    }

    public long? Integer(YamlNode node, string path, Bounds<long> bounds)
    {
        if (Plain(node) is not { } text)
        {
            Error(node, path, $"expected an integer, found {Describe(node)}");
            return null;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            Error(node, path, $"expected an integer, found '{text}'");
            return null;
        }

        return InBounds(node, path, text, value, bounds);
    }

    public int? Integer(Section? parent, string key, Bounds<long> bounds) =>
        Field(parent, key) is { } node && Integer(node, YamlPath.Join(parent!.Path, key), bounds) is { } value
            ? checked((int)value)
            : null;

    public double? Number(YamlNode node, string path, Bounds<double> bounds)
    {
        if (Plain(node) is not { } text)
        {
            Error(node, path, $"expected a number, found {Describe(node)}");
            return null;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            Error(node, path, $"expected a number, found '{text}'");
            return null;
        }

        // The trainer computes in 32-bit floats: a value past their range would overflow on every attempt, and one
        // below their smallest normal number would silently become 0 or lose its precision.
        if (Math.Abs(value) > float.MaxValue || (value != 0 && Math.Abs(value) < SmallestNormalFloat))
        {
            Error(node, path, $"'{text}' cannot be used: the trainer computes in 32-bit floats, whose magnitudes run from {SmallestNormalFloat:G3} to {float.MaxValue:G3} (or 0)");
            return null;
        }

        return InBounds(node, path, text, value, bounds);
    }

    /// <summary>The smallest positive normal <see cref="float"/> (FLT_MIN); below it lie denormals and 0.</summary>
    public const double SmallestNormalFloat = 1.1754943508222875e-38;

    public double? Number(Section? parent, string key, Bounds<double> bounds) =>
        Field(parent, key) is { } node ? Number(node, YamlPath.Join(parent!.Path, key), bounds) : null;

    public bool? Flag(Section? parent, string key)
    {
        if (Field(parent, key) is not { } node)
            return null;
        switch (Plain(node)?.ToLowerInvariant())
        {
            case "true": return true;
            case "false": return false;
            default:
                Error(node, YamlPath.Join(parent!.Path, key), $"expected true or false, found {Describe(node)}");
                return null;
        }
    }

    /// <summary>Reads a non-empty list, giving each item with its path (<c>training.seeds[2]</c>).</summary>
    public IReadOnlyList<(YamlNode Node, string Path)>? List(Section? parent, string key, bool required = false)
    {
        if (Field(parent, key, required) is not { } node)
            return null;
        var path = YamlPath.Join(parent!.Path, key);
        if (node is not YamlSequenceNode sequence)
        {
            Error(node, path, $"expected a list, found {Describe(node)}");
            return null;
        }

        if (sequence.Children.Count == 0)
        {
            Error(node, path, "must list at least one value");
            return null;
        }

        return [.. sequence.Children.Select((item, i) => (item, $"{path}[{i}]"))];
    }

    private YamlNode? Field(Section? parent, string key, bool required = false)
    {
        if (parent is null)
            return null;
        if (parent[key] is { } node)
            return node;
        if (required)
            Error(parent.Node, YamlPath.Join(parent.Path, key), $"required key '{key}' is missing");
        return null;
    }

    private string? Text(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: { Length: > 0 } text } && !IsNull(node))
            return text;
        Error(node, path, $"expected a string, found {Describe(node)}");
        return null;
    }

    private T? InBounds<T>(YamlNode node, string path, string text, T value, Bounds<T> bounds)
        where T : struct
    {
        if (bounds.Contains(value))
            return value;
        Error(node, path, $"'{text}' is out of range; allowed range: {bounds.Description}");
        return null;
    }

    private void ReportRepeatedKey(RepeatedKey repeat) =>
        Error(repeat.Start, repeat.Path, $"duplicate key '{repeat.Key}'; it is already defined at line {repeat.First.Line}");

    /// <summary>The text of an unquoted scalar: numbers and booleans written in quotes are strings in YAML.</summary>
    private static string? Plain(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: { Length: > 0 } text } ? text : null;

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        _ when IsNull(node) => "an empty value",
        YamlScalarNode { Style: ScalarStyle.Plain, Value: var text } => $"'{text}'",
        YamlScalarNode { Value: var text } => $"the string '{text}'",
        _ => "an alias",
    };
}
