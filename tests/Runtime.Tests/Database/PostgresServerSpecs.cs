using Npgsql;

namespace GridSweep.Runtime.Tests.Database;

/// <summary>The tests' real PostgreSQL server (TestKit's <see cref="PostgresServer"/>), on which the ledger's tests stand.</summary>
public class PostgresServerSpecs(PostgresServerFixture fixture) : IClassFixture<PostgresServerFixture>
{
    private readonly PostgresServer _server = fixture.Server;

    [Fact]
    public void The_server_answers_a_query_on_its_loopback_port()
    {
        using var connection = Open(_server.ConnectionString);

        Assert.StartsWith("PostgreSQL ", Scalar<string>(connection, "SELECT version()"));
        Assert.Equal(_server.Port, Scalar<int>(connection, "SELECT inet_server_port()"));
        Assert.Equal("127.0.0.1", Scalar<string>(connection, "SELECT host(inet_server_addr())"));
        Assert.Equal("127.0.0.1", Scalar<string>(connection, "SELECT current_setting('listen_addresses')"));
        Assert.Equal(PostgresServer.User, Scalar<string>(connection, "SELECT current_user"));
    }

    [Fact]
    public void The_url_names_the_same_server_user_password_and_database()
    {
        var url = new Uri(_server.Url);
        var userInfo = url.UserInfo.Split(':');
        using var connection = Open(new NpgsqlConnectionStringBuilder
        {
            Host = url.Host,
            Port = url.Port,
            Username = Uri.UnescapeDataString(userInfo[0]),
            Password = Uri.UnescapeDataString(userInfo[1]),
            Database = url.AbsolutePath.TrimStart('/'),
        }.ConnectionString);

        Assert.Equal("postgres", url.Scheme);
        Assert.Equal(PostgresServer.DefaultDatabase, Scalar<string>(connection, "SELECT current_database()"));
        Assert.Equal(_server.Port, Scalar<int>(connection, "SELECT inet_server_port()"));
    }

    [Fact]
    public void A_wrong_password_is_refused()
    {
        var wrong = new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Password = _server.Password + "x", Pooling = false };

        var refused = Assert.Throws<PostgresException>(() => Open(wrong.ConnectionString));

        Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
    }

    [Fact]
    public void An_unknown_user_is_refused_like_a_wrong_password()
    {
        var stranger = new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Username = "postgres", Pooling = false };

        var refused = Assert.Throws<PostgresException>(() => Open(stranger.ConnectionString));

        Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
    }

    [Fact]
    public void No_connection_is_trusted_every_one_needs_the_password()
    {
        using var connection = Open(_server.ConnectionString);

        var methods = new List<string>();
        using (var command = new NpgsqlCommand("SELECT auth_method FROM pg_hba_file_rules WHERE error IS NULL", connection))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
                methods.Add(reader.GetString(0));
        }

        Assert.NotEmpty(methods);
        Assert.All(methods, method => Assert.Equal("scram-sha-256", method));
        Assert.Equal("scram-sha-256", Scalar<string>(connection, "SELECT current_setting('password_encryption')"));
    }

    [Fact]
    public void The_server_never_runs_as_root()
    {
        var pid = Assert.IsType<int>(_server.ProcessId);

        var uid = File.ReadLines($"/proc/{pid}/status").Single(line => line.StartsWith("Uid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];

        Assert.NotEqual("0", uid);
    }

    [Fact]
    public void Each_created_database_is_fresh_and_separate()
    {
        var first = _server.CreateDatabase($"fresh_{Guid.NewGuid():N}");
        var second = _server.CreateDatabase($"fresh_{Guid.NewGuid():N}");
        using (var connection = Open(first))
            Execute(connection, "CREATE TABLE trials (id text PRIMARY KEY)");

        using var other = Open(second);

        Assert.NotEqual(first, second);
        Assert.Equal(0L, Scalar<long>(other, "SELECT count(*) FROM pg_tables WHERE tablename = 'trials'"));
        Assert.Throws<ArgumentException>(() => _server.CreateDatabase("Robert'); DROP TABLE trials;--"));
    }

    [Fact]
    public void Committed_rows_survive_a_killed_and_restarted_server_on_the_same_port()
    {
        using var server = new PostgresServer();
        server.Start();
        var database = server.CreateDatabase("ledger");
        using (var connection = Open(database))
        {
            Execute(connection, "CREATE TABLE trials (id text PRIMARY KEY, loss double precision NOT NULL)");
            Execute(connection, "INSERT INTO trials VALUES ('trial-1', 0.25), ('trial-2', 0.5)");
        }
        var port = server.Port;
        var before = server.ProcessId;

        server.Stop();

        Assert.False(server.IsRunning);
        Assert.Null(server.ProcessId);
        Assert.ThrowsAny<NpgsqlException>(() => Open(new NpgsqlConnectionStringBuilder(database) { Pooling = false, Timeout = 3 }.ConnectionString));

        server.Start();

        Assert.Equal(port, server.Port);
        Assert.NotEqual(before, server.ProcessId);
        using var again = Open(new NpgsqlConnectionStringBuilder(database) { Pooling = false }.ConnectionString);
        Assert.Equal(0.75, Scalar<double>(again, "SELECT sum(loss) FROM trials"));
        Assert.Equal(2L, Scalar<long>(again, "SELECT count(*) FROM trials"));
    }

    [Fact]
    public void A_restart_keeps_its_port_and_when_that_is_taken_fails_with_the_server_log()
    {
        using var server = new PostgresServer();
        server.Start();
        server.Stop();
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, server.Port);
        squatter.Start();

        var failed = Assert.Throws<InvalidOperationException>(server.Start);

        Assert.Contains("postgres exited", failed.Message);
        Assert.Contains("could not bind IPv4 address \"127.0.0.1\"", failed.Message);
        Assert.False(server.IsRunning);
        squatter.Stop();
        server.Start();
        Assert.True(server.IsRunning);
    }

    [Fact]
    public void Two_servers_run_side_by_side_each_with_its_own_port_password_and_data()
    {
        using var first = new PostgresServerFixture();
        using var second = new PostgresServerFixture();
        using (var connection = Open(first.Server.ConnectionString))
            Execute(connection, "CREATE TABLE only_in_first (id int)");

        using var other = Open(second.Server.ConnectionString);

        Assert.NotEqual(first.Server.Port, second.Server.Port);
        Assert.NotEqual(first.Server.Password, second.Server.Password);
        Assert.Equal(second.Server.Port, Scalar<int>(other, "SELECT inet_server_port()"));
        Assert.Equal(0L, Scalar<long>(other, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_first'"));
        var crossed = new NpgsqlConnectionStringBuilder(second.Server.ConnectionString) { Password = first.Server.Password, Pooling = false };
        Assert.Equal(PostgresErrorCodes.InvalidPassword, Assert.Throws<PostgresException>(() => Open(crossed.ConnectionString)).SqlState);
    }

    private static NpgsqlConnection Open(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            connection.Open();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private static T Scalar<T>(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        return Assert.IsType<T>(command.ExecuteScalar());
    }
}
