namespace GridSweep.TestKit;

/// <summary>
/// A small tmpfs mounted for one test: a disk that fills up (<c>size=</c>) or a read-only file system (<c>ro</c>).
/// Needs root (mount); a test that cannot mount fails saying so. Unmounted on dispose.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    /// <param name="options">mount's -o, e.g. <c>size=2m</c> or <c>ro,size=1m</c>.</param>
    public static Tmpfs Mount(string path, string options)
    {
        Directory.CreateDirectory(path);
        var result = ChildProcess.Run("mount", ["-t", "tmpfs", "-o", options, "tmpfs", path], timeout: TimeSpan.FromMinutes(1));
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"this test mounts a tmpfs at {path} and needs root (or CAP_SYS_ADMIN) for it: {result.Report}");
        return new Tmpfs(path);
    }

    /// <summary>Changes the mount's options in place (e.g. <c>size=8m</c> to make room), keeping its files.</summary>
    public void Remount(string options)
    {
        var result = ChildProcess.Run("mount", ["-o", "remount," + options, Path], timeout: TimeSpan.FromMinutes(1));
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"cannot remount {Path} with {options}: {result.Report}");
    }

    /// <summary>Writes zeros into <paramref name="file"/> until the file system is full.</summary>
    public void Fill(string file)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            // Unbuffered: a buffer that cannot be flushed would keep the file open past dispose, and its space taken.
            using var stream = new FileStream(System.IO.Path.Combine(Path, file), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
            while (true)
                stream.Write(buffer);
        }
        catch (IOException)
        {
            // Full: what was wanted.
        }
    }

    public void Dispose()
    {
        // Lazy: a child process that still has a file open must not leave the mount behind.
        ChildProcess.Run("umount", ["-l", Path], timeout: TimeSpan.FromMinutes(1));
    }
}
