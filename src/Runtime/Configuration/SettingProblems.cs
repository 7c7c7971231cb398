using System.Globalization;
using System.Reflection;

namespace GridSweep.Runtime.Configuration;

/// <summary>A setting's identity in every form a user may have given it.</summary>
public sealed record SettingName(string Flag, string Key)
{
    /// <summary>The environment variable: <c>GridSweep:Cluster:Port</c> is <c>GridSweep__Cluster__Port</c>.</summary>
    public string EnvironmentVariable => Key.Replace(":", "__", StringComparison.Ordinal);

    public override string ToString() => $"{Flag} (setting {Key}, environment {EnvironmentVariable})";

    public static SettingName Of<T>(string property) where T : IOptionsSection
    {
        var attribute = typeof(T).GetProperty(property)?.GetCustomAttribute<SettingAttribute>()
            ?? throw new ArgumentException($"{typeof(T).Name}.{property} is not a setting", nameof(property));
        return new SettingName(attribute.Flag, $"{T.Section}:{property}");
    }
}

/// <summary>Collects what is wrong with the settings, each message naming the flag, the setting and the value.</summary>
public sealed class SettingProblems
{
    private readonly List<string> messages = [];

    public IReadOnlyList<string> Messages => messages;

    public void Add(SettingName name, object? value, string problem) =>
        messages.Add($"{name.Flag}: '{Format(value)}' {problem} (setting {name.Key}, environment {name.EnvironmentVariable})");

    /// <summary>A problem of <typeparamref name="T"/>'s property <paramref name="property"/> with the value it has.</summary>
    public void Add<T>(T options, string property, string problem) where T : IOptionsSection =>
        Add(SettingName.Of<T>(property), typeof(T).GetProperty(property)!.GetValue(options), problem);

    /// <summary>A problem that no single value shows, e.g. a setting that is missing.</summary>
    public void AddMissing(SettingName name, string problem) =>
        messages.Add($"{name.Flag}: {problem} (setting {name.Key}, environment {name.EnvironmentVariable})");

    public void ThrowIfAny()
    {
        if (messages.Count > 0)
            throw new SettingsException(messages);
    }

    /// <summary>The value as given, but a URL's password masked: a message may be printed, logged or shown in a pod's events.</summary>
    private static string Format(object? value) => value switch
    {
        null => "",
        IEnumerable<string> list => string.Join(",", list.Select(Redaction.Url)),
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => Redaction.Url(value.ToString() ?? ""),
    };
}

/// <summary>Settings that cannot be used; the message lists every problem, one a line. Exit code 2.</summary>
public sealed class SettingsException(IReadOnlyList<string> problems) : InputException(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
