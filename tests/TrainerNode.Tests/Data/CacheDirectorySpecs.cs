using GridSweep.TrainerNode.Data;

namespace GridSweep.TrainerNode.Tests.Data;

public sealed class CacheDirectorySpecs
{
    private const string Home = "/home/someone";

    private static string Resolve(params (string Name, string Value)[] variables)
    {
        var environment = variables.ToDictionary(v => v.Name, v => v.Value);
        return CacheDirectory.Resolve(name => environment.GetValueOrDefault(name), Home);
    }

    [Fact]
    public void GRIDSWEEP_CACHE_wins_over_everything_else()
    {
        Assert.Equal("/data/cache", Resolve(("GRIDSWEEP_CACHE", "/data/cache"), ("XDG_CACHE_HOME", "/xdg")));
    }

    [Fact]
    public void XDG_CACHE_HOME_is_used_when_GRIDSWEEP_CACHE_is_not_set()
    {
        Assert.Equal(Path.Combine("/xdg", "gridsweep"), Resolve(("XDG_CACHE_HOME", "/xdg")));
    }

    [Fact]
    public void A_relative_XDG_CACHE_HOME_is_ignored_as_the_XDG_spec_says()
    {
        Assert.Equal(Path.Combine(Home, ".cache", "gridsweep"), Resolve(("XDG_CACHE_HOME", "relative/cache")));
    }

    [Fact]
    public void Without_either_variable_the_cache_is_under_the_home_folder()
    {
        Assert.Equal(Path.Combine(Home, ".cache", "gridsweep"), Resolve());
    }
}
