using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace GridSweep.Coordinator.Ledger;

/// <summary>
/// Where a sweep's ledger lives: an SQLite file in the run folder (the default, and <c>gridsweep run</c>'s), or a
/// PostgreSQL database that every coordinator node of a cluster reaches. The same tables and statements serve both
/// (plain ADO.NET: the SQL both speak, <c>ON CONFLICT</c> upserts included).
/// </summary>
public abstract class LedgerDatabase
{
    /// <summary>Where it is, for messages: never a password.</summary>
    public abstract string Description { get; }

    /// <summary>An open connection, set up for durable writes.</summary>
    public abstract DbConnection Connect();

    /// <summary>
    /// Claims the sweep for this process for as long as <paramref name="connection"/> is open, or says who has it.
    /// SQLite needs none: the run folder's lock is the claim.
    /// </summary>
    internal virtual string? TryClaim(DbConnection connection, string sweep) => null;

    public static LedgerDatabase Sqlite(string file) => new SqliteLedgerDatabase(file);

    public static LedgerDatabase Postgres(string connectionString) => new PostgresLedgerDatabase(connectionString);

    public override string ToString() => Description;
}

internal sealed class SqliteLedgerDatabase(string file) : LedgerDatabase
{
    public override string Description => $"SQLite {file}";

    public override DbConnection Connect()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        connection.Open();
        // WAL: a reader (report, status) never waits on the writer. synchronous=FULL: a committed batch survives a
        // power loss, not only a crash of the process; batching keeps that to one fsync per batch.
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;";
        pragma.ExecuteNonQuery();
        return connection;
    }
}

internal sealed class PostgresLedgerDatabase(string connectionString) : LedgerDatabase
{
    public override string Description
    {
        get
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return $"PostgreSQL {builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
        }
    }

    public override DbConnection Connect()
    {
        // Not pooled: the session holds the sweep's advisory lock, which must go when the ledger is closed.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>
    /// A session-level advisory lock on the sweep's name: PostgreSQL lets go of it when the session ends, however the
    /// holder ended (a coordinator killed with -9 drops its connection), so a dead holder leaves no stale lock.
    /// </summary>
    internal override string? TryClaim(DbConnection connection, string sweep)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT pg_try_advisory_lock(hashtextextended(@sweep, 1717))";
        command.Parameters.Add(new NpgsqlParameter("sweep", "gridsweep:" + sweep));
        if (command.ExecuteScalar() is true)
            return null;
        command.CommandText = "SELECT holder FROM gridsweep_sweeps WHERE sweep = @sweep";
        command.Parameters[0].Value = sweep;
        return command.ExecuteScalar() as string ?? "another coordinator";
    }
}
