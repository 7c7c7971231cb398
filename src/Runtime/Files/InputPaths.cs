using System.Runtime.InteropServices;

namespace GridSweep.Runtime.Files;

/// <summary>
/// Checks a path the user gave as input before anything reads it: a symbolic link that never resolves (a loop)
/// and a FIFO, socket or other special file are refused with a message, where reading them would fail with a raw
/// error or wait for good. A missing path is left to the reader, which knows what it expected there.
/// </summary>
public static class InputPaths
{
    /// <summary>Why <paramref name="path"/> cannot be read as a file or folder, or null when it can (or does not exist).</summary>
    public static string? Problem(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileSystemInfo entry = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        if (entry.LinkTarget is not null)
        {
            try
            {
                entry.ResolveLinkTarget(returnFinalTarget: true);
            }
            catch (IOException e)
            {
                return $"is a symbolic link that does not resolve ({e.Message}); point it at the file or folder itself";
            }
        }
        if (!entry.Exists || entry is DirectoryInfo || OperatingSystem.IsWindows())
            return null;
        return IsSeekable(path) ? null : "is not a regular file or folder (a FIFO, socket or device): give the data file or folder itself";
    }

    /// <summary>
    /// Opened without blocking (a FIFO's open would wait for a writer), a regular file can seek; a FIFO or socket cannot.
    /// </summary>
    private static bool IsSeekable(string path)
    {
        var descriptor = Posix.open(path, Posix.ReadOnly | Posix.NonBlocking);
        if (descriptor < 0)
            return true; // Unreadable for another reason: the reader says which.
        try
        {
            return Posix.lseek(descriptor, 0, Posix.SeekEnd) >= 0 && !IsCharacterDevice(path);
        }
        finally
        {
            _ = Posix.close(descriptor);
        }
    }

    // /dev/zero and friends seek but never end.
    private static bool IsCharacterDevice(string path) =>
        Path.GetFullPath(path).StartsWith("/dev/", StringComparison.Ordinal);

    private static class Posix
    {
        public const int ReadOnly = 0;

        /// <summary>O_NONBLOCK: 04000 on Linux x86-64 and arm64, 0x4 on macOS.</summary>
        public static readonly int NonBlocking = OperatingSystem.IsMacOS() ? 0x4 : 0x800;

        public const int SeekEnd = 2;

        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern long lseek(int descriptor, long offset, int whence);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int descriptor);
    }
}
