using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace GridSweep.Runtime.Configuration;

/// <summary>
/// Binds a typed options class from its configuration section. Written here rather than with
/// ConfigurationBinder because a value that does not convert must be reported with its flag, setting and
/// value (ConfigurationBinder throws one exception naming only the key, and stops at the first).
/// </summary>
public static class OptionsBinder
{
    /// <summary>Binds and validates <typeparamref name="T"/>; every problem is added to <paramref name="problems"/>.</summary>
    public static T Bind<T>(IConfiguration configuration, SettingProblems problems) where T : IOptionsSection, new()
    {
        var options = new T();
        var section = configuration.GetSection(T.Section);
        var before = problems.Messages.Count;
        foreach (var (property, _) in Settings<T>())
        {
            var name = SettingName.Of<T>(property.Name);
            if (property.PropertyType == typeof(List<string>))
            {
                var items = section.GetSection(property.Name).GetChildren()
                    .OrderBy(c => int.TryParse(c.Key, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue)
                    .Select(c => c.Value).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).ToList();
                var single = section[property.Name];
                if (items.Count == 0 && !string.IsNullOrWhiteSpace(single))
                    items.AddRange(single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                if (items.Count > 0)
                    property.SetValue(options, items);
                continue;
            }
            var raw = section[property.Name];
            if (raw is null)
                continue;
            if (TryConvert(raw.Trim(), property.PropertyType, out var value, out var expected))
                property.SetValue(options, value);
            else
                problems.Add(name, raw, $"is not {expected}");
        }
        // Values that did not convert are reported once; checks of the rest would only repeat them.
        if (problems.Messages.Count == before)
            options.Validate(problems);
        return options;
    }

    /// <summary>Binds, validates and throws <see cref="SettingsException"/> listing every problem.</summary>
    public static T Bind<T>(IConfiguration configuration) where T : IOptionsSection, new()
    {
        var problems = new SettingProblems();
        var options = Bind<T>(configuration, problems);
        problems.ThrowIfAny();
        return options;
    }

    /// <summary>The settings of <typeparamref name="T"/>: its properties that carry <see cref="SettingAttribute"/>.</summary>
    public static IReadOnlyList<(PropertyInfo Property, SettingAttribute Setting)> Settings<T>() where T : IOptionsSection =>
        Settings(typeof(T));

    public static IReadOnlyList<(PropertyInfo Property, SettingAttribute Setting)> Settings(Type optionsType) =>
        optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Setting: p.GetCustomAttribute<SettingAttribute>()))
            .Where(p => p.Setting is not null)
            .Select(p => (p.Property, p.Setting!))
            .ToList();

    private static bool TryConvert(string raw, Type type, out object? value, out string expected)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        value = null;
        if (target == typeof(string))
        {
            expected = "text";
            value = raw;
            return true;
        }
        if (target == typeof(int))
        {
            expected = "a whole number";
            var ok = int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number);
            value = number;
            return ok;
        }
        if (target == typeof(double))
        {
            expected = "a number";
            var ok = double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number);
            value = number;
            return ok;
        }
        if (target == typeof(bool))
        {
            expected = "true or false";
            var ok = bool.TryParse(raw, out var flag);
            value = flag;
            return ok;
        }
        throw new NotSupportedException($"settings of type {type} are not supported");
    }
}
