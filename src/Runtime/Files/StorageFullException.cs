using GridSweep.Runtime.Configuration;

namespace GridSweep.Runtime.Files;

/// <summary>
/// A folder GridSweep writes to has no space left (or its quota is used up). Not a crash: the command stops with a
/// message naming the folder and exit code 2; what was written is whole, and the same command resumes once there is room.
/// </summary>
public sealed class StorageFullException(string message, Exception? innerException = null) : InputException(message, innerException)
{
    private const int NoSpace = 28; // ENOSPC
    private const int QuotaExceeded = 122; // EDQUOT
    private const int WindowsDiskFull = 0x70;
    private const int WindowsHandleDiskFull = 0x27;

    /// <summary>The stop for <paramref name="folder"/>, with what to do and the underlying error.</summary>
    public static StorageFullException In(string folder, Exception cause, string whatToSet) => new(
        $"no space left in {Path.GetFullPath(folder)} ({Redaction.Url(Innermost(cause).Message)}); free space there or {whatToSet}, " +
        "then run the same command again: what was written is kept and the sweep resumes", cause);

    /// <summary>Whether <paramref name="error"/>, or an exception inside it, says the disk (or quota) is full.</summary>
    public static bool Is(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is StorageFullException)
                return true;
            if (e is IOException && (e.HResult is NoSpace or QuotaExceeded || (e.HResult & 0xFFFF) is WindowsDiskFull or WindowsHandleDiskFull
                || e.Message.Contains("No space left on device", StringComparison.Ordinal) || e.Message.Contains("Disk quota exceeded", StringComparison.Ordinal)))
                return true;
            // SQLite's SQLITE_FULL, without a reference to the SQLite provider here.
            if (e.GetType().Name == "SqliteException" && e.Message.Contains("database or disk is full", StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    private static Exception Innermost(Exception error)
    {
        var e = error;
        while (e.InnerException is { } inner && Is(inner))
            e = inner;
        return e;
    }
}
