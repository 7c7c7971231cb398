using Microsoft.Extensions.Configuration;

namespace GridSweep.Runtime.Configuration;

/// <summary>
/// The settings every GridSweep program reads, lowest priority first: <c>appsettings.json</c> in the working
/// directory (where a .NET host looks too), environment variables such as <c>GridSweep__Cluster__Port</c>,
/// then the command line's flags (given as setting keys and values by <see cref="CommandLine.FlagSet"/>).
/// </summary>
public static class GridSweepConfiguration
{
    public static IConfiguration Load(IEnumerable<KeyValuePair<string, string?>>? flags = null) =>
        new ConfigurationBuilder()
            // Without a base path, AddJsonFile reads from the program's own folder, not the working directory.
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(flags ?? [])
            .Build();
}
