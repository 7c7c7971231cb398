using GridSweep.Runtime.CommandLine;
using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests.CommandLine;

/// <summary>
/// Command-line hygiene of the three real programs, run as a user would: misspelled flags are refused, bad
/// input exits 2 on standard error with the flag, setting and value named, and every setting's flag is in --help.
/// </summary>
public sealed class CommandLineSpecs : IDisposable
{
    private readonly TempDirectory directory = new("gridsweep-cli");
    private static readonly Dictionary<string, string> NoEnvironment = [];

    public void Dispose() => directory.Dispose();

    [Fact]
    public void A_misspelled_flag_is_refused_with_exit_code_2_naming_it_and_what_it_may_have_meant()
    {
        var output = directory.Combine("runs");

        var result = GridSweepCli.Run("run", TestSweeps.Path, "--dat", "somewhere.tar.gz", "--out", output);

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("unknown option '--dat'; did you mean", result.Error);
        Assert.Contains("--data", result.Error);
        Assert.Equal("", result.Output);
        Assert.False(Directory.Exists(output), "a refused command line must not create the results folder");
    }

    [Fact]
    public void A_ledger_address_that_is_not_one_is_refused_before_any_data_loads_without_its_password()
    {
        var output = directory.Combine("runs");

        var result = GridSweepCli.Run("run", TestSweeps.Path, "--ledger", "postgres://user:hunter2@/nodatabase", "--out", output);

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("--ledger", result.Error);
        Assert.DoesNotContain("hunter2", result.All);
        Assert.DoesNotContain("data:", result.Output); // refused before the data step
        Assert.False(Directory.Exists(output), "a refused command line must not create the results folder");
    }

    [Fact]
    public void The_trainer_program_refuses_an_unknown_flag_too()
    {
        var result = GridSweepCli.RunProgram(GridSweepCli.TrainerNode, directory.Path, NoEnvironment, "--seed-node", "127.0.0.1:4053", "--prot", "4054");

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("unknown option '--prot'", result.Error);
    }

    [Fact]
    public void A_bad_value_names_its_flag_setting_and_environment_variable_and_a_flag_wins_over_the_environment_and_appsettings()
    {
        File.WriteAllText(directory.Combine("appsettings.json"), """{"GridSweep": {"Cluster": {"Port": "from-appsettings"}}}""");
        var environment = new Dictionary<string, string> { ["GridSweep__Cluster__Port"] = "from-environment" };

        var fromAppSettings = GridSweepCli.RunProgram(GridSweepCli.Full, directory.Path, NoEnvironment, "trainer", "--seed-node", "127.0.0.1:4053");
        var fromEnvironment = GridSweepCli.RunProgram(GridSweepCli.Full, directory.Path, environment, "trainer", "--seed-node", "127.0.0.1:4053");
        var fromFlag = GridSweepCli.RunProgram(GridSweepCli.Full, directory.Path, environment, "trainer", "--seed-node", "127.0.0.1:4053", "--port", "from-flag");

        const string Names = "(setting GridSweep:Cluster:Port, environment GridSweep__Cluster__Port)";
        Assert.Equal((ExitCodes.BadInput, $"--port: 'from-appsettings' is not a whole number {Names}"), (fromAppSettings.ExitCode, fromAppSettings.Error.Trim()));
        Assert.Equal((ExitCodes.BadInput, $"--port: 'from-environment' is not a whole number {Names}"), (fromEnvironment.ExitCode, fromEnvironment.Error.Trim()));
        Assert.Equal((ExitCodes.BadInput, $"--port: 'from-flag' is not a whole number {Names}"), (fromFlag.ExitCode, fromFlag.Error.Trim()));
    }

    [Fact]
    public void Every_problem_of_a_command_line_is_listed_at_once()
    {
        var result = GridSweepCli.RunProgram(GridSweepCli.TrainerNode, directory.Path, NoEnvironment, "--seed-node", "nowhere", "--slots", "-1", "--torch-threads", "0", "--log-level", "LOUD");

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("--seed-node: 'nowhere' is not HOST:PORT or akka.tcp://gridsweep@HOST:PORT", result.Error);
        Assert.Contains("--slots: '-1' is negative", result.Error);
        Assert.Contains("--torch-threads: '0' is not a positive number of threads", result.Error);
        Assert.Contains("--log-level: 'LOUD' is not allowed", result.Error);
    }

    [Fact]
    public void An_out_folder_that_is_a_file_is_refused_before_the_data_loads()
    {
        var file = directory.Combine("results-file");
        File.WriteAllText(file, "not a folder");

        var result = GridSweepCli.Run("run", TestSweeps.Path, "--out", file, "--data", directory.Combine("no-data-here"));

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains($"--out (setting GridSweep:Sweep:Out, environment GridSweep__Sweep__Out): '{file}' is a file", result.Error);
        Assert.DoesNotContain("IMDB data", result.All); // Refused before the (missing) data was looked at.
        Assert.Equal("not a folder", File.ReadAllText(file));
    }

    [Fact]
    public void A_grid_beyond_max_trials_is_refused_at_once_naming_the_file_the_count_per_axis_and_the_setting()
    {
        var sweep = directory.Combine("wide.yaml");
        var rates = string.Join(", ", Enumerable.Range(1, 20).Select(i => $"{i}e-5"));
        var batchSizes = string.Join(", ", Enumerable.Range(1, 10));
        File.WriteAllText(sweep, $$$"""
            name: wide
            dataset: {name: imdb, num_words: 1000}
            grid:
              model: {tiny: {hidden: [4]}}
              learning_rate: [{{{rates}}}]
              batch_size: [{{{batchSizes}}}]
            """);
        var output = directory.Combine("runs");

        var refused = GridSweepCli.Run("run", sweep, "--max-trials", "199", "--out", output);

        Assert.Equal(ExitCodes.BadInput, refused.ExitCode);
        Assert.Equal(
            $"{sweep}:3:1: grid: declares 200 trials (model 1 x learning_rate 20 x batch_size 10 x seed 1), more than the limit of 199; " +
            "shrink an axis, or raise the limit with --max-trials (setting GridSweep:Sweep:MaxTrials, environment GridSweep__Sweep__MaxTrials)",
            refused.Error.Trim());
        Assert.False(Directory.Exists(output), "a refused grid must not create the results folder");

        // At the limit the grid is let through, to the next check: an --out that is a file, refused before any data loads.
        File.WriteAllText(output, "not a folder");
        var admitted = GridSweepCli.Run("run", sweep, "--max-trials", "200", "--out", output);

        Assert.Equal(ExitCodes.BadInput, admitted.ExitCode);
        Assert.Contains($"'{output}' is a file", admitted.Error);
    }

    [Fact]
    public void Errors_go_to_standard_error_in_one_line_however_long()
    {
        var deep = directory.Combine(string.Join('/', Enumerable.Repeat("a-rather-long-folder-name", 6)), "missing.tar.gz");

        var result = GridSweepCli.Run("run", TestSweeps.Path, "--data", deep, "--out", directory.Combine("runs"));

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("missing.tar.gz"));
        Assert.True(line.Length > 200, line);
        Assert.Contains(deep, line);
        Assert.DoesNotContain("missing.tar.gz", result.Output);
    }

    [Fact]
    public void Version_prints_the_programs_version()
    {
        var result = GridSweepCli.Run("--version");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", result.Output.Trim());
    }

    public static TheoryData<string, string[], string> Helps => new()
    {
        { GridSweepCli.Full, ["trainer", "--help"], "trainer" },
        { GridSweepCli.TrainerNode, ["--help"], "trainer" },
        { GridSweepCli.Full, ["run", "--help"], "run" },
        { GridSweepCli.Full, ["coordinator", "--help"], "coordinator" },
        { GridSweepCli.CoordinatorOnly, ["coordinator", "--help"], "coordinator-only" },
        { GridSweepCli.Full, ["status", "--help"], "status" },
        { GridSweepCli.Full, ["evaluate", "--help"], "evaluate" },
    };

    [Theory]
    [MemberData(nameof(Helps))]
    public void Help_lists_every_flag_the_command_takes_with_its_environment_variable(string program, string[] arguments, string command)
    {
        var flags = command switch
        {
            "trainer" => CommandFlags.Trainer(),
            "run" => CommandFlags.Run(),
            "coordinator" => CommandFlags.Coordinator(canTrain: true),
            "coordinator-only" => CommandFlags.Coordinator(canTrain: false),
            "evaluate" => CommandFlags.Evaluate(),
            _ => CommandFlags.Status(),
        };

        var result = GridSweepCli.RunProgram(program, directory.Path, NoEnvironment, arguments);

        Assert.Equal(0, result.ExitCode);
        foreach (var option in flags.Options)
            Assert.Contains(option.Name, result.Output);
        Assert.Contains("[GridSweep__", result.Output);
    }

    [Fact]
    public void The_coordinators_own_program_has_no_evaluate_which_needs_torchsharp()
    {
        var result = GridSweepCli.RunProgram(GridSweepCli.CoordinatorOnly, directory.Path, NoEnvironment, "evaluate", directory.Path, "3f2a9c1b7e04");

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.DoesNotContain("evaluate", GridSweepCli.RunProgram(GridSweepCli.CoordinatorOnly, directory.Path, NoEnvironment, "--help").Output);
    }

    [Fact]
    public void The_coordinators_own_program_says_where_training_is_instead_of_running_a_sweep()
    {
        var result = GridSweepCli.RunProgram(GridSweepCli.CoordinatorOnly, directory.Path, NoEnvironment, "run", TestSweeps.Path);

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("this program only coordinates (no TorchSharp)", result.Error);
        Assert.Contains("dotnet run --project src/Cli -- run SPEC", result.Error);
    }

    /// <summary>A tiny valid sweep file.</summary>
    private static class TestSweeps
    {
        public static readonly string Path = Write();

        private static string Write()
        {
            var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"gridsweep-cli-{Environment.ProcessId}.yaml");
            File.WriteAllText(path, """
                name: cli-study
                dataset: {name: imdb, num_words: 1000}
                training: {epochs: 1, batch_size: 512, seeds: [1]}
                grid:
                  model:
                    tiny: {hidden: [4]}
                """);
            return path;
        }
    }
}
