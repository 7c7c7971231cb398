using GridSweep.Coordinator.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("gridsweep");
    config.AddCommand<RunCommand>("run")
        .WithDescription("Train every trial of a sweep file on this machine and write epochs.csv and trials.csv.")
        .WithExample("run", "sweeps/imdb-overfitting.yaml")
        .WithExample("run", "sweeps/imdb-overfitting.yaml", "--data", "~/data/aclImdb_v1.tar.gz", "--out", "runs");
});
return await app.RunAsync(args);
