using System.CommandLine;
using GridSweep.Runtime.CommandLine;
using GridSweep.Runtime.Configuration;
using GridSweep.Runtime.Metrics;
using Microsoft.Extensions.Configuration;

namespace GridSweep.Runtime.Tests.Metrics;

/// <summary>The metrics settings through the whole pipeline: flags parsed, bound, validated, secrets read.</summary>
public class InfluxSettingsSpecs
{
    private static InfluxSettings? FromArgs(string[] args, Func<string, string?> environment, string? home = null)
    {
        var command = new RootCommand { TreatUnmatchedTokensAsErrors = false };
        var flags = new FlagSet().Add<InfluxOptions>();
        flags.AddTo(command);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(flags.Values(command.Parse(args))).Build();
        return InfluxSettings.From(OptionsBinder.Bind<InfluxOptions>(configuration), environment, home);
    }

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Reads_the_influx_options_and_the_token_file_and_ignores_other_arguments()
    {
        using var folder = new TempDirectory("gridsweep-metrics");
        var tokenFile = Path.Combine(folder.Path, "token");
        File.WriteAllText(tokenFile, "  tok-123\n");

        var settings = FromArgs(
            ["run", "--seed-node", "x", "--influx-url", "http://influx:8086", "--influx-org=acme", "--influx-bucket", "sweeps",
             "--influx-token-file", tokenFile, "--influx-spool", folder.Path, "--influx-spool-max-mb", "3"],
            Environment((InfluxSettings.TokenVariable, "from-environment")))!;

        Assert.Equal("http://influx:8086", settings.Url);
        Assert.Equal(InfluxSettings.V2, settings.Api);
        Assert.Equal("sweeps", settings.Bucket);
        Assert.Equal("acme", settings.Org);
        Assert.Equal("tok-123", settings.Token);
        Assert.Equal(tokenFile, settings.TokenFile);
        Assert.Equal(folder.Path, settings.SpoolDirectory);
        Assert.Equal(3L << 20, settings.SpoolMaxBytes);
    }

    [Fact]
    public void Takes_the_token_from_the_environment_without_a_token_file()
    {
        var settings = FromArgs(
            ["--influx-url", "http://influx:8086", "--influx-org", "acme"],
            Environment((InfluxSettings.TokenVariable, "env-token"), ("XDG_STATE_HOME", "/state")))!;

        Assert.Equal("env-token", settings.Token);
        Assert.Equal("/state/gridsweep/influx-spool", settings.SpoolDirectory);
        Assert.Equal(InfluxSettings.DefaultBucket, settings.Bucket);
    }

    [Fact]
    public void Reads_v1_settings_with_the_password_from_the_environment()
    {
        var settings = FromArgs(
            ["--influx-url", "http://influx:8086", "--influx-api", "v1", "--influx-bucket", "metrics", "--influx-rp", "forever", "--influx-user", "trainer"],
            Environment((InfluxSettings.PasswordVariable, "pw")), home: "/home/me")!;

        Assert.True(settings.IsV1);
        Assert.Equal(("metrics", "forever", "trainer", "pw"), (settings.Bucket, settings.RetentionPolicy, settings.User, settings.Password));
        Assert.Equal("/home/me/.local/state/gridsweep/influx-spool", settings.SpoolDirectory);
    }

    [Fact]
    public void Metrics_are_off_without_a_url()
    {
        Assert.Null(FromArgs(["run", "sweep.yaml"], Environment()));
    }

    [Fact]
    public void Lists_every_problem_naming_its_option()
    {
        var error = Assert.Throws<SettingsException>(() => FromArgs(
            ["--influx-url", "influx:8086", "--influx-api", "v3", "--influx-spool-max-mb", "0"],
            Environment()));

        Assert.Contains("--influx-url: 'influx:8086' is not an http:// or https:// URL (setting GridSweep:Influx:Url, environment GridSweep__Influx__Url)", error.Message);
        Assert.Contains("--influx-api: 'v3' is not allowed; allowed values: v2, v1 (setting GridSweep:Influx:Api", error.Message);
        Assert.Contains("--influx-spool-max-mb: '0' is not a positive whole number of MiB (setting GridSweep:Influx:SpoolMaxMb", error.Message);
    }

    [Fact]
    public void A_value_that_is_not_a_number_is_named_with_its_flag_and_setting()
    {
        var error = Assert.Throws<SettingsException>(() => FromArgs(["--influx-url", "http://influx:8086", "--influx-spool-max-mb", "lots"], Environment()));

        Assert.Equal("--influx-spool-max-mb: 'lots' is not a whole number (setting GridSweep:Influx:SpoolMaxMb, environment GridSweep__Influx__SpoolMaxMb)", error.Message);
    }

    [Fact]
    public void The_v2_api_needs_org_and_token()
    {
        var error = Assert.Throws<SettingsException>(() => FromArgs(["--influx-url", "http://influx:8086"], Environment()));

        Assert.Contains("--influx-org: the v2 API needs the organization (setting GridSweep:Influx:Org", error.Message);
        Assert.Contains($"--influx-token-file: the v2 API needs a token: give a file holding it or set {InfluxSettings.TokenVariable}", error.Message);
    }

    [Fact]
    public void A_missing_token_file_is_named()
    {
        var error = Assert.Throws<SettingsException>(() => FromArgs(
            ["--influx-url", "http://influx:8086", "--influx-org", "acme", "--influx-token-file", "/nonexistent/token"], Environment()));

        Assert.Contains("--influx-token-file: '/nonexistent/token' cannot be read", error.Message);
    }

    [Fact]
    public void Printing_the_settings_never_shows_a_secret()
    {
        var settings = MetricsKit.V2("http://influx:8086", "/tmp/spool", token: "tok-VERY-SECRET") with { User = "u", Password = "pw-VERY-SECRET" };

        var printed = settings.ToString();

        Assert.DoesNotContain("VERY-SECRET", printed);
        Assert.Contains("Token = (redacted)", printed);
        Assert.Contains("Password = (redacted)", printed);
        Assert.Contains("Url = http://influx:8086", printed);
        Assert.Contains("Password = (none)", (settings with { Password = null }).ToString());
    }
}
