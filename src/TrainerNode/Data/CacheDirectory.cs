namespace GridSweep.TrainerNode.Data;

/// <summary>Where downloads and encoded datasets are kept between runs.</summary>
public static class CacheDirectory
{
    public const string EnvironmentVariable = "GRIDSWEEP_CACHE";

    /// <summary><c>$GRIDSWEEP_CACHE</c>, else <c>$XDG_CACHE_HOME/gridsweep</c>, else <c>~/.cache/gridsweep</c>.</summary>
    public static string Default() =>
        Resolve(Environment.GetEnvironmentVariable, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    internal static string Resolve(Func<string, string?> environment, string home)
    {
        var own = environment(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(own))
            return Path.GetFullPath(own);
        // The XDG spec says to ignore a relative XDG_CACHE_HOME.
        var xdg = environment("XDG_CACHE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg))
            return Path.Combine(xdg, "gridsweep");
        return Path.Combine(home, ".cache", "gridsweep");
    }
}
