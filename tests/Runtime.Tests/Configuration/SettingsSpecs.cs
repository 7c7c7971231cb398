using System.CommandLine;
using GridSweep.Runtime.CommandLine;
using GridSweep.Runtime.Configuration;
using Microsoft.Extensions.Configuration;

namespace GridSweep.Runtime.Tests.Configuration;

/// <summary>One declaration per setting: flags, keys and environment variables bound and checked by one path.</summary>
public sealed class SettingsSpecs
{
    private static IConfiguration Flags(FlagSet flags, params string[] args)
    {
        var command = new RootCommand();
        flags.AddTo(command);
        var parsed = command.Parse(args);
        Assert.Empty(parsed.Errors);
        return new ConfigurationBuilder().AddInMemoryCollection(flags.Values(parsed)).Build();
    }

    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void A_seed_node_is_taken_as_host_and_port_or_as_an_akka_address_and_may_be_repeated()
    {
        var cluster = OptionsBinder.Bind<ClusterNodeOptions>(Flags(CommandFlags.Trainer(),
            "--seed-node", "head:4053", "--seed-node", "akka.tcp://gridsweep@standby:4054"));

        Assert.Equal(["akka.tcp://gridsweep@head:4053", "akka.tcp://gridsweep@standby:4054"], cluster.SeedNodeAddresses());
    }

    [Theory]
    [InlineData("head")]
    [InlineData("head:port")]
    [InlineData("head:70000")]
    [InlineData("akka.tcp://other-system@head:4053")]
    public void A_seed_node_that_is_no_address_is_refused_naming_it(string seed)
    {
        var error = Assert.Throws<SettingsException>(() => OptionsBinder.Bind<ClusterNodeOptions>(Settings(("GridSweep:Cluster:SeedNodes:0", seed))));

        Assert.Equal($"--seed-node: '{seed}' is not HOST:PORT or akka.tcp://gridsweep@HOST:PORT (setting GridSweep:Cluster:SeedNodes, environment GridSweep__Cluster__SeedNodes)", error.Message);
    }

    [Fact]
    public void Flags_are_bound_with_their_types_and_unset_settings_keep_their_defaults()
    {
        var configuration = Flags(CommandFlags.Coordinator(canTrain: true),
            "--port", "4060", "--failure-detection-seconds", "12.5", "--stay", "--slots", "3", "--max-retries", "0");

        var cluster = OptionsBinder.Bind<ClusterNodeOptions>(configuration);
        var sweep = OptionsBinder.Bind<SweepOptions>(configuration);
        var trainer = OptionsBinder.Bind<TrainerOptions>(configuration);

        Assert.Equal((4060, 12.5, "127.0.0.1", 15.0), (cluster.Port, cluster.FailureDetectionSeconds, cluster.Host, cluster.DowningStableAfterSeconds));
        Assert.Equal((true, false, 0, "runs"), (sweep.Stay, sweep.Plain, sweep.MaxRetries, sweep.Out));
        Assert.Equal(3, trainer.Slots);
        Assert.Null(trainer.Devices);
    }

    [Fact]
    public void Every_value_that_does_not_convert_is_reported_at_once_with_flag_setting_and_variable()
    {
        var problems = new SettingProblems();
        var configuration = Settings(("GridSweep:Cluster:Port", "http"), ("GridSweep:Cluster:FailureDetectionSeconds", "NaN"),
            ("GridSweep:Sweep:Plain", "yes"));

        OptionsBinder.Bind<ClusterNodeOptions>(configuration, problems);
        OptionsBinder.Bind<SweepOptions>(configuration, problems);

        Assert.Equal(
        [
            "--port: 'http' is not a whole number (setting GridSweep:Cluster:Port, environment GridSweep__Cluster__Port)",
            "--failure-detection-seconds: 'NaN' is not a number (setting GridSweep:Cluster:FailureDetectionSeconds, environment GridSweep__Cluster__FailureDetectionSeconds)",
            "--plain: 'yes' is not true or false (setting GridSweep:Sweep:Plain, environment GridSweep__Sweep__Plain)",
        ], problems.Messages);
    }

    [Fact]
    public void Devices_give_one_slot_each_else_the_device_is_repeated_per_slot()
    {
        Assert.Equal(["cuda:0", "cuda:1"], new TrainerOptions { Devices = "cuda:0, cuda:1", Slots = 5 }.DeviceList());
        Assert.Equal(["cpu", "cpu", "cpu"], new TrainerOptions { Slots = 3 }.DeviceList());
        Assert.Equal(["auto"], new TrainerOptions().DeviceList(defaultDevice: "auto"));
        Assert.Equal(["cuda"], new TrainerOptions { Device = "cuda" }.DeviceList(defaultDevice: "auto"));
    }

    [Fact]
    public void Each_flag_is_declared_once_and_each_command_takes_the_settings_it_needs()
    {
        FlagSet[] commands = [CommandFlags.Run(), CommandFlags.Coordinator(true), CommandFlags.Coordinator(false), CommandFlags.Trainer(), CommandFlags.Status(), CommandFlags.Evaluate()];
        foreach (var command in commands)
            Assert.Equal(command.Options.Count, command.Options.Select(o => o.Name).Distinct().Count());

        var all = new[] { typeof(ClusterNodeOptions), typeof(TrainerOptions), typeof(SweepOptions), typeof(InfluxOptions) }
            .SelectMany(OptionsBinder.Settings).Select(s => s.Setting.Flag).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.DoesNotContain("--stay", CommandFlags.Run().Options.Select(o => o.Name));
        Assert.DoesNotContain("--slots", CommandFlags.Coordinator(canTrain: false).Options.Select(o => o.Name));
        Assert.Contains("--influx-spool-max-mb", CommandFlags.Run().Options.Select(o => o.Name));
    }

    [Fact]
    public void A_flag_given_twice_takes_the_last_value_and_takes_one_value_per_occurrence()
    {
        var command = new RootCommand();
        var spec = new Argument<string>("SPEC");
        command.Arguments.Add(spec);
        var flags = CommandFlags.Trainer();
        flags.AddTo(command);

        var parsed = command.Parse(["--slots", "1", "--node-id", "a", "--slots", "2", "sweep.yaml"]);
        Assert.Empty(parsed.Errors);
        var trainer = OptionsBinder.Bind<TrainerOptions>(new ConfigurationBuilder().AddInMemoryCollection(flags.Values(parsed)).Build());

        Assert.Equal((2, "a"), (trainer.Slots, trainer.NodeId));
        Assert.Equal("sweep.yaml", parsed.GetValue(spec));
    }
}
