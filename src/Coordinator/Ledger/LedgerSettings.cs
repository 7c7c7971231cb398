using GridSweep.Runtime.Configuration;
using Npgsql;

namespace GridSweep.Coordinator.Ledger;

/// <summary>Turns <c>--ledger</c> and its password into the database to open; the password is never part of a message.</summary>
public static class LedgerSettings
{
    public const string PasswordVariable = "GRIDSWEEP_LEDGER_PASSWORD";

    /// <summary>The ledger a sweep's settings name, or null for the default (<c>ledger.db</c> in the run folder).</summary>
    /// <exception cref="SettingsException">A URL that is not one, or a password that cannot be read.</exception>
    public static LedgerDatabase? From(SweepOptions options, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var name = SettingName.Of<SweepOptions>(nameof(SweepOptions.Ledger));
        if (options.Ledger is not { } ledger)
            return null;
        if (!ledger.StartsWith("postgres://", StringComparison.Ordinal) && !ledger.StartsWith("postgresql://", StringComparison.Ordinal))
            return LedgerDatabase.Sqlite(Path.GetFullPath(ledger));

        var problems = new SettingProblems();
        if (!Uri.TryCreate(ledger, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host) || uri.AbsolutePath.Trim('/') is not { Length: > 0 } database)
        {
            problems.Add(name, Redact(ledger), "is not postgres://USER@HOST[:PORT]/DATABASE");
            problems.ThrowIfAny();
            return null;
        }
        var userInfo = uri.UserInfo.Split(':', 2);
        var password = userInfo.Length == 2 ? Uri.UnescapeDataString(userInfo[1]) : null;
        if (options.LedgerPasswordFile is { } file)
        {
            var passwordName = SettingName.Of<SweepOptions>(nameof(SweepOptions.LedgerPasswordFile));
            try
            {
                password = File.ReadAllText(file).TrimEnd('\r', '\n');
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                problems.Add(passwordName, file, $"cannot be read: {error.Message}");
            }
        }
        password ??= environment(PasswordVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        if (string.IsNullOrEmpty(userInfo[0]))
            problems.Add(name, Redact(ledger), "names no user: postgres://USER@HOST[:PORT]/DATABASE");
        problems.ThrowIfAny();

        var connection = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(database),
            Username = Uri.UnescapeDataString(userInfo[0]),
            Password = password,
            // A coordinator that waits on a dead database would look hung: fail within seconds, the writer retries.
            Timeout = 15,
            CommandTimeout = 60,
        };
        return LedgerDatabase.Postgres(connection.ToString());
    }

    /// <summary>The URL with any password in it replaced, for messages.</summary>
    public static string Redact(string url) => Redaction.Url(url);
}
