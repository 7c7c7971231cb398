using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests.Reports;

public sealed class ReportCommandSpecs
{
    [Fact]
    public void Report_prints_the_path_of_the_index_it_wrote()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);

        var result = GridSweepCli.Run("report", run);

        Assert.True(result.ExitCode == 0, result.All);
        var index = Path.Combine(run, "report", "index.html");
        Assert.Equal(index, result.Output.Trim());
        Assert.True(File.Exists(index));
    }

    [Fact]
    public void A_folder_that_does_not_exist_is_named_and_exits_with_bad_input()
    {
        using var directory = new TempDirectory();
        var missing = Path.Combine(directory.Path, "runs", "never-ran");

        var result = GridSweepCli.Run("report", missing);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(missing, result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public void A_folder_that_is_not_a_run_folder_is_refused_with_bad_input()
    {
        using var directory = new TempDirectory();

        var result = GridSweepCli.Run("report", directory.Path);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("trials.csv", result.Error);
        Assert.Contains("is missing", result.Error);
    }

    [Fact]
    public void Help_lists_the_report_command()
    {
        var result = GridSweepCli.Run("--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("report", result.Output);
        Assert.Contains("<RUN_DIR>", GridSweepCli.Run("report", "--help").Output);
    }
}
