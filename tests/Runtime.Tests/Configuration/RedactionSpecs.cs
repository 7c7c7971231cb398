using GridSweep.Runtime.Configuration;
using GridSweep.Runtime.Metrics;
using Microsoft.Extensions.Configuration;

namespace GridSweep.Runtime.Tests.Configuration;

/// <summary>One redaction for every message: URL passwords, secret query parameters and known secret values are masked.</summary>
public sealed class RedactionSpecs
{
    [Theory]
    [InlineData("http://user:secret@influx:8086", "http://user:***@influx:8086")]
    [InlineData("postgres://gridsweep:p%40ss@db:5432/ledger", "postgres://gridsweep:***@db:5432/ledger")]
    [InlineData("postgresql://u:a@b@db/ledger?sslmode=require", "postgresql://u:***@db/ledger?sslmode=require")]
    [InlineData("postgres://u@db/ledger?password=secret&sslmode=require", "postgres://u@db/ledger?password=***&sslmode=require")]
    [InlineData("cannot reach http://user:secret@influx:8086/write?db=x&token=abc now", "cannot reach http://user:***@influx:8086/write?db=x&token=*** now")]
    [InlineData("http://influx:8086", "http://influx:8086")]
    [InlineData("postgres://gridsweep@db/ledger", "postgres://gridsweep@db/ledger")]
    public void A_url_keeps_its_user_and_loses_its_password(string url, string shown) =>
        Assert.Equal(shown, Redaction.Url(url));

    [Fact]
    public void Known_secrets_are_masked_wherever_a_message_echoes_them_plain_or_escaped()
    {
        var message = Redaction.Text("login as admin with s3cr/et failed (s3cr%2Fet)", "s3cr/et", null, "");

        Assert.Equal("login as admin with *** failed (***)", message);
    }

    [Fact]
    public void A_setting_problem_shows_the_url_without_its_password()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GridSweep:Influx:Url"] = "ftp://user:hunter2@influx:8086",
        }).Build();

        var error = Assert.Throws<SettingsException>(() => OptionsBinder.Bind<InfluxOptions>(configuration));

        Assert.Contains("'ftp://user:***@influx:8086' is not an http:// or https:// URL", error.Message);
        Assert.DoesNotContain("hunter2", error.Message);
    }

    [Fact]
    public void A_v1_influx_url_with_credentials_authenticates_with_them_and_is_kept_without_them()
    {
        var options = new InfluxOptions { Url = "http://writer:p%40ss@influx:8086", Api = InfluxSettings.V1 };

        var settings = InfluxSettings.From(options, _ => null)!;

        Assert.Equal("http://influx:8086", settings.Url);
        Assert.Equal(("writer", "p@ss"), (settings.User, settings.Password));
        Assert.DoesNotContain("p@ss", settings.ToString());
    }

    [Fact]
    public void A_password_file_wins_over_the_urls_password()
    {
        var options = new InfluxOptions { Url = "http://writer:old@influx:8086/", Api = InfluxSettings.V1 };

        var settings = InfluxSettings.From(options, name => name == InfluxSettings.PasswordVariable ? "new" : null)!;

        Assert.Equal(("http://influx:8086/", "writer", "new"), (settings.Url, settings.User, settings.Password));
    }

    [Fact]
    public void A_v2_influx_url_with_credentials_is_refused_without_showing_them()
    {
        var options = new InfluxOptions { Url = "http://writer:hunter2@influx:8086", Org = "acme" };

        var error = Assert.Throws<SettingsException>(() => InfluxSettings.From(options, name => name == InfluxSettings.TokenVariable ? "tok" : null));

        Assert.Contains("--influx-url: 'http://writer:***@influx:8086' carries credentials; the v2 API takes a token", error.Message);
        Assert.DoesNotContain("hunter2", error.Message);
    }
}
