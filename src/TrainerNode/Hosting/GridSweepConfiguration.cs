using Microsoft.Extensions.Configuration;

namespace GridSweep.TrainerNode.Hosting;

/// <summary>
/// The settings every GridSweep program reads before its flags: <c>appsettings.json</c> in the working
/// directory (where a .NET host looks too), then environment variables such as <c>GridSweep__Cluster__Port</c>.
/// </summary>
public static class GridSweepConfiguration
{
    public static IConfiguration Load() =>
        new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
}
