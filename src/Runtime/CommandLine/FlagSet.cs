using System.CommandLine;
using System.Globalization;
using System.Reflection;
using GridSweep.Runtime.Configuration;
using Microsoft.Extensions.Configuration;

namespace GridSweep.Runtime.CommandLine;

/// <summary>
/// The flags of one command, made from the settings they set (<see cref="SettingAttribute"/>): each flag is
/// declared once, on its options property, and a command picks the settings it takes. Given flags become the
/// highest-priority configuration source, so a flag, its appsettings.json key and its environment variable
/// are bound, converted and validated by one path.
/// </summary>
public sealed class FlagSet
{
    private readonly List<(Option Option, string Key, Func<ParseResult, object?> Value)> flags = [];
    private readonly List<Type> sections = [];

    /// <summary>Every setting of <typeparamref name="T"/>, or only the named properties.</summary>
    public FlagSet Add<T>(params string[] properties) where T : IOptionsSection
    {
        sections.Add(typeof(T));
        foreach (var (property, setting) in OptionsBinder.Settings<T>())
        {
            if (properties.Length > 0 && !properties.Contains(property.Name))
                continue;
            var (option, value) = CreateOption(property, setting, T.Section);
            flags.Add((option, $"{T.Section}:{property.Name}", value));
        }
        var unknown = properties.Except(OptionsBinder.Settings<T>().Select(s => s.Property.Name)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"{typeof(T).Name} has no settings {string.Join(", ", unknown)}", nameof(properties));
        return this;
    }

    public IReadOnlyList<Option> Options => flags.Select(f => f.Option).ToList();

    /// <summary>The options classes whose sections this command binds, whole: every setting of them is read from the environment.</summary>
    public IReadOnlyList<Type> Sections => sections;

    /// <summary>Adds the flags to a command.</summary>
    public void AddTo(Command command)
    {
        foreach (var (option, _, _) in flags)
            command.Options.Add(option);
    }

    /// <summary>The flags given on this command line as setting keys and values, e.g. <c>GridSweep:Cluster:Port=4053</c>.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Values(ParseResult result)
    {
        foreach (var (option, key, value) in flags)
        {
            if (result.GetResult(option) is not { Implicit: false })
                continue;
            switch (value(result))
            {
                case bool on:
                    yield return new(key, on ? "true" : "false");
                    break;
                case string[] items:
                    for (var i = 0; i < items.Length; i++)
                        yield return new($"{key}:{i.ToString(CultureInfo.InvariantCulture)}", items[i]);
                    break;
                case string text:
                    yield return new(key, text);
                    break;
            }
        }
    }

    /// <summary>appsettings.json, the environment, then the flags given: the configuration this command binds its options from.</summary>
    public IConfiguration Configuration(ParseResult result) => GridSweepConfiguration.Load(Values(result));

    private static (Option, Func<ParseResult, object?>) CreateOption(PropertyInfo property, SettingAttribute setting, string section)
    {
        var variable = $"{section}:{property.Name}".Replace(":", "__", StringComparison.Ordinal);
        var description = $"{setting.Description} [{variable}]";
        if (property.PropertyType == typeof(bool))
        {
            var flag = new Option<bool>(setting.Flag) { Description = description };
            return (flag, result => result.GetValue(flag));
        }
        // Every other flag may be given more than once: a list takes every value, a single setting the last one
        // (a wrapper script can append an override, as with the earlier hand-written parser).
        var values = new Option<string[]>(setting.Flag) { Description = description, HelpName = setting.ValueName };
        if (property.PropertyType == typeof(List<string>))
            return (values, result => result.GetValue(values));
        return (values, result => result.GetValue(values) is { Length: > 0 } given ? given[^1] : null);
    }
}
