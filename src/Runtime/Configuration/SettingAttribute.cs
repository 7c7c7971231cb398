namespace GridSweep.Runtime.Configuration;

/// <summary>
/// Declares a setting once: the property is its key under the options class's section (appsettings.json,
/// <c>GridSweep__Section__Property</c> in the environment), <see cref="Flag"/> its command-line flag.
/// Help text, flag parsing, binding and error messages are all derived from this one declaration.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SettingAttribute(string flag, string description) : Attribute
{
    public string Flag { get; } = flag;

    public string Description { get; } = description;

    /// <summary>The value's placeholder in help, e.g. <c>PORT</c>; switches (bool) have none.</summary>
    public string? ValueName { get; init; }
}

/// <summary>A typed options class bound from one configuration section, e.g. <c>GridSweep:Cluster</c>.</summary>
public interface IOptionsSection
{
    static abstract string Section { get; }

    /// <summary>Checks the bound values; each problem is reported through <paramref name="problems"/>.</summary>
    void Validate(SettingProblems problems);
}
