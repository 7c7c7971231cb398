using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Npgsql;

namespace GridSweep.TestKit;

/// <summary>One real PostgreSQL server (Debian's <c>postgresql</c> package) per test class, on a free loopback port.</summary>
public sealed class PostgresServerFixture : IDisposable
{
    public PostgresServerFixture()
    {
        Server = new PostgresServer();
        try
        {
            Server.Start();
        }
        catch
        {
            Server.Dispose();
            throw;
        }
    }

    public PostgresServer Server { get; }

    public void Dispose() => Server.Dispose();
}

/// <summary>
/// Runs <c>postgres</c> itself (never the system cluster) on a throw-away cluster made by <c>initdb</c>: TCP on
/// 127.0.0.1 only, its unix socket inside its own folder, and a password (scram-sha-256) asked of every connection,
/// so nobody who merely reaches the port gets in. <see cref="Stop"/> kills the postmaster and its backends by process
/// id, as a crash would; <see cref="Start"/> brings it back on the same port and data, through crash recovery.
/// As root (CI) the cluster belongs to, and the server runs as, an unprivileged user, since PostgreSQL refuses root.
/// </summary>
public sealed partial class PostgresServer : IDisposable
{
    /// <summary>A folder holding <c>initdb</c> and <c>postgres</c>; else the newest /usr/lib/postgresql/&lt;version&gt;/bin.</summary>
    public const string BinVariable = "GRIDSWEEP_POSTGRES_BIN";

    /// <summary>The unprivileged user the server runs as when the tests run as root; <c>postgres</c> unless set.</summary>
    public const string UserVariable = "GRIDSWEEP_POSTGRES_USER";

    /// <summary>The superuser made by initdb; its password is <see cref="Password"/>, new for every server.</summary>
    public const string User = "gridsweep";

    /// <summary>The database initdb makes, which <see cref="ConnectionString"/> and <see cref="Url"/> name.</summary>
    public const string DefaultDatabase = "postgres";

    /// <summary>How long a start may take before it counts as failed: a loaded, shared 2-core machine is slow.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private const string InstallHint =
        "the PostgreSQL tests need a real server: install it with `apt-get install postgresql` (Debian/Ubuntu; ./scripts/test.sh does it, " +
        "and leaves the packaged cluster stopped) or set " + BinVariable + " to a folder holding initdb and postgres. " +
        "The tests run their own server; the system service is not needed.";

    private readonly string _bin;
    private readonly string? _runAs;
    private readonly TempDirectory _root;
    private readonly string _data;
    private readonly string _socket;
    private readonly string _log;
    private ChildProcess? _process;
    private List<int> _backends = [];
    private bool _started;

    public PostgresServer()
    {
        _bin = FindBin();
        _runAs = geteuid() == 0 ? UnprivilegedUser() : null;
        _root = new TempDirectory("gridsweep-postgres", _runAs is null ? Path.GetTempPath() : ReachableTempParent(_runAs));
        _data = _root.Combine("data");
        _socket = _root.Combine("socket");
        _log = _root.Combine("postgres.log");
        Password = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 32);
        Port = Loopback.FreePort();
        try
        {
            InitializeCluster();
        }
        catch
        {
            _root.Dispose();
            throw;
        }
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    public string Password { get; }

    /// <summary>The TCP port on 127.0.0.1; the same after <see cref="Stop"/> and <see cref="Start"/>.</summary>
    public int Port { get; private set; }

    /// <summary>
    /// The superuser on <see cref="DefaultDatabase"/>, in Npgsql's keyword format. Npgsql pools by connection string as
    /// usual, so after <see cref="Stop"/> and <see cref="Start"/> a pooled connection fails as it would against a real
    /// crashed server (<c>NpgsqlConnection.ClearAllPools()</c> forgets them).
    /// </summary>
    public string ConnectionString => ConnectionStringOf(DefaultDatabase);

    /// <summary><c>postgres://user:password@127.0.0.1:port/postgres</c>.</summary>
    public string Url => UrlOf(DefaultDatabase);

    /// <summary>Cluster, socket folder and log of this server.</summary>
    public string Root => _root.Path;

    /// <summary>What the server wrote to its standard error (its log).</summary>
    public string LogPath => _log;

    /// <summary>The user the server runs as when the tests run as root; null when it runs as the test process's user.</summary>
    public string? RunAs => _runAs;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The postmaster's process id while it runs.</summary>
    public int? ProcessId => IsRunning ? _process!.Id : null;

    public string ConnectionStringOf(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = User,
        Password = Password,
        Database = database,
    }.ConnectionString;

    public string UrlOf(string database) => $"postgres://{User}:{Password}@127.0.0.1:{Port}/{database}";

    /// <summary><c>$GRIDSWEEP_POSTGRES_BIN</c>, else the newest /usr/lib/postgresql/&lt;version&gt;/bin; fails saying how to install it.</summary>
    public static string FindBin()
    {
        var configured = Environment.GetEnvironmentVariable(BinVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(Path.Combine(configured, "initdb")) && File.Exists(Path.Combine(configured, "postgres"))
                ? configured
                : throw new InvalidOperationException($"{BinVariable} is '{configured}', which holds no initdb and postgres; {InstallHint}");
        }
        const string debian = "/usr/lib/postgresql";
        var newest = (Directory.Exists(debian) ? Directory.GetDirectories(debian) : [])
            .Select(folder => (Folder: folder, Version: int.TryParse(Path.GetFileName(folder), out var v) ? v : -1))
            .Where(c => c.Version >= 0 && File.Exists(Path.Combine(c.Folder, "bin", "initdb")) && File.Exists(Path.Combine(c.Folder, "bin", "postgres")))
            .OrderByDescending(c => c.Version)
            .FirstOrDefault();
        return newest.Folder is not null
            ? Path.Combine(newest.Folder, "bin")
            : throw new InvalidOperationException($"PostgreSQL is not installed (no {debian}/<version>/bin/postgres); {InstallHint}");
    }

    /// <summary>Starts the server (again, after <see cref="Stop"/>) and waits until a query answers over TCP with the password.</summary>
    public void Start()
    {
        if (IsRunning)
            return;
        Stop(); // A server that died by itself: reap it and whatever it left running.
        for (var attempt = 0; ; attempt++)
        {
            var logStart = File.Exists(_log) ? new FileInfo(_log).Length : 0;
            // exec: the shell becomes the postmaster, so the process id we hold is the server's.
            _process = ChildProcess.Start("postgres", ServerCommand(out var arguments), arguments, workingDirectory: Root);
            try
            {
                WaitUntilReady();
                _started = true;
                return;
            }
            catch (InvalidOperationException) when (!_started && attempt < 5 && PortWasTaken(logStart))
            {
                // Another process took the free port between the probe and the bind: before the first start nothing
                // depends on the port yet, so take another.
                Stop();
                Port = Loopback.FreePort();
            }
            catch
            {
                Stop();
                throw;
            }
        }
    }

    /// <summary>
    /// SIGKILL to the postmaster and its backends by process id, as a crash would end them; the cluster stays for
    /// <see cref="Start"/>, which recovers it from its write-ahead log. Returns once every one of them is gone.
    /// </summary>
    public void Stop()
    {
        if (_process is null)
            return;
        if (!_process.HasExited)
        {
            _backends = Descendants(_process.Id);
            _process.KillHard();
            _process.WaitForExit(TimeSpan.FromMinutes(1));
        }
        // The next postmaster refuses to start while an old backend still holds the shared memory.
        var deadline = Stopwatch.StartNew();
        while (_backends.Any(IsAlive))
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(1))
                throw new TimeoutException($"backends {string.Join(", ", _backends.Where(IsAlive))} of the killed postgres did not exit within a minute");
            foreach (var backend in _backends.Where(IsAlive))
                KillQuietly(backend);
            Thread.Sleep(20);
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>Creates a database (a name of lower-case letters, digits and underscores) and returns its connection string.</summary>
    public string CreateDatabase(string name)
    {
        if (!DatabaseName().IsMatch(name))
            throw new ArgumentException($"'{name}' is not a plain database name (lower-case letters, digits, underscores; at most 63)", nameof(name));
        Execute($"CREATE DATABASE \"{name}\"");
        return ConnectionStringOf(name);
    }

    /// <summary>Runs one statement as the superuser on <paramref name="database"/>, on a connection of its own.</summary>
    public void Execute(string sql, string database = DefaultDatabase)
    {
        using var connection = new NpgsqlConnection(Unpooled(ConnectionStringOf(database)));
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    /// <summary>The server log's last lines, for a failure message.</summary>
    public string LogTail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(_log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        Stop();
        _root.Dispose();
    }

    private void OnProcessExit(object? sender, EventArgs e) => Stop();

    private void InitializeCluster()
    {
        Directory.CreateDirectory(_socket);
        var passwordFile = _root.Combine("password");
        File.WriteAllText(passwordFile, Password + "\n");
        if (_runAs is not null)
        {
            var chown = ChildProcess.Run("chown", ["-R", $"{_runAs}:", Root], timeout: TimeSpan.FromMinutes(1));
            if (chown.ExitCode != 0)
                throw new InvalidOperationException($"chown -R {_runAs}: {Root} failed: {chown.Report}");
        }
        var initdb = ChildProcess.Run(AsServerUser(Path.Combine(_bin, "initdb"), out var initdbArguments),
        [
            .. initdbArguments,
            "--pgdata", _data,
            "--username", User,
            "--pwfile", passwordFile,
            "--auth", "scram-sha-256",
            "--encoding", "UTF8",
            "--locale", "C",
            "--no-sync",
        ], workingDirectory: Root, timeout: TimeSpan.FromMinutes(5));
        File.Delete(passwordFile);
        if (initdb.ExitCode != 0)
            throw new InvalidOperationException($"initdb {_data} failed{(_runAs is null ? "" : $" (as {_runAs})")}: {initdb.Report}");

        // Settings the port, socket and listen address need are on the command line (ServerCommand); these are the rest.
        File.AppendAllText(Path.Combine(_data, "postgresql.conf"), """

            # GridSweep test server: throw-away data, so no waiting for the disk. A killed server still loses no
            # commit: each one's WAL reaches the kernel before it is acknowledged (synchronous_commit stays on; off
            # would lose the last commits to a kill -9), and only a machine crash loses what the kernel holds.
            fsync = off
            full_page_writes = off
            shared_buffers = 32MB
            max_connections = 50
            huge_pages = off
            log_destination = 'stderr'
            logging_collector = off
            log_min_messages = warning
            password_encryption = 'scram-sha-256'
            """);
        // Only the two ways in this server offers, both with a password; nothing is trusted.
        File.WriteAllText(Path.Combine(_data, "pg_hba.conf"), """
            # TYPE  DATABASE  USER  ADDRESS       METHOD
            local   all       all                 scram-sha-256
            host    all       all   127.0.0.1/32  scram-sha-256
            """);
    }

    private string ServerCommand(out IReadOnlyList<string> arguments)
    {
        var shell = AsServerUser("/bin/sh", out var before);
        arguments =
        [
            .. before,
            "-c", "exec \"$0\" -D \"$1\" -p \"$2\" -k \"$3\" -c listen_addresses=127.0.0.1 >>\"$4\" 2>&1",
            Path.Combine(_bin, "postgres"), _data, $"{Port}", _socket, _log,
        ];
        return shell;
    }

    /// <summary>The program to run (setpriv, which execs it as the unprivileged user, when root) and the arguments before its own.</summary>
    private string AsServerUser(string program, out IReadOnlyList<string> arguments)
    {
        if (_runAs is null)
        {
            arguments = [];
            return program;
        }
        // setpriv execs (runuser would fork and wait), so a kill by process id reaches the server itself.
        arguments = [$"--reuid={_runAs}", $"--regid={_runAs}", "--init-groups", "--", program];
        return ChildProcess.FindExecutable("setpriv")
            ?? throw new InvalidOperationException("setpriv (util-linux) is needed to run PostgreSQL as an unprivileged user when the tests run as root");
    }

    private void WaitUntilReady()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(Unpooled(ConnectionString)) { Timeout = 5 }.ConnectionString;
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (true)
        {
            if (_process!.HasExited)
                throw new InvalidOperationException($"postgres exited with {_process.ExitCode} on start; its log ({_log}):\n{LogTail()}\n{_process.Output}");
            try
            {
                using var connection = new NpgsqlConnection(connectionString);
                connection.Open();
                using var command = new NpgsqlCommand("SELECT 1", connection);
                if (command.ExecuteScalar() is 1)
                    return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // Not listening yet, or still starting up or recovering.
                last = e;
            }
            if (deadline.Elapsed > StartTimeout)
                throw new TimeoutException($"postgres did not answer on 127.0.0.1:{Port} within {StartTimeout.TotalSeconds} s " +
                    $"(last error: {last?.Message}); its log ({_log}):\n{LogTail()}");
            Thread.Sleep(100);
        }
    }

    private bool PortWasTaken(long logStart)
    {
        try
        {
            using var stream = new FileStream(_log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(logStart, SeekOrigin.Begin);
            var text = new StreamReader(stream).ReadToEnd();
            return text.Contains("could not bind IPv4 address") || text.Contains("could not create any TCP/IP sockets");
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string Unpooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    private static string UnprivilegedUser()
    {
        var configured = Environment.GetEnvironmentVariable(UserVariable);
        var user = string.IsNullOrWhiteSpace(configured) ? "postgres" : configured;
        var id = ChildProcess.Run("id", ["-u", user], timeout: TimeSpan.FromMinutes(1));
        if (id.ExitCode != 0 || id.Output.Trim() == "0")
            throw new InvalidOperationException(
                $"the tests run as root, which PostgreSQL refuses, and there is no unprivileged user '{user}' to run it as " +
                $"(`id -u {user}`: {id.All.Trim()}). The Debian package makes 'postgres' (`apt-get install postgresql`); " +
                $"or set {UserVariable} to another user.");
        return user;
    }

    /// <summary>
    /// A folder the unprivileged user can pass through, and every folder above it too, to hold the cluster (which is
    /// then given to that user): the system temp folder (TMPDIR) if so, else /tmp or /var/tmp.
    /// </summary>
    private static string ReachableTempParent(string user)
    {
        string[] candidates = [Path.GetTempPath(), "/tmp", "/var/tmp"];
        foreach (var candidate in candidates)
        {
            var folder = new DirectoryInfo(Path.GetFullPath(candidate));
            if (!folder.Exists)
                continue;
            var reachable = true;
            for (var current = folder; current is not null; current = current.Parent)
                reachable &= (current.UnixFileMode & UnixFileMode.OtherExecute) != 0;
            if (reachable)
                return folder.FullName;
        }
        throw new InvalidOperationException(
            $"no temp folder ({string.Join(", ", candidates)}) that user '{user}' can reach: it and each folder above it need o+x");
    }

    /// <summary>Every process under <paramref name="pid"/> (the postmaster's backends and helpers), from the parents in /proc.</summary>
    private static List<int> Descendants(int pid)
    {
        var parents = new Dictionary<int, int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var id))
                continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
                parents[id] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // Gone meanwhile.
            }
        }
        var found = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.TryDequeue(out var parent))
        {
            foreach (var child in parents.Where(p => p.Value == parent).Select(p => p.Key))
            {
                found.Add(child);
                queue.Enqueue(child);
            }
        }
        return found;
    }

    /// <summary>Running, as opposed to gone or a zombie (which no longer holds memory).</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void KillQuietly(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex DatabaseName();

    [DllImport("libc")]
    private static extern uint geteuid();
}
