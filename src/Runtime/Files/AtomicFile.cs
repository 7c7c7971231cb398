using System.Runtime.InteropServices;

namespace GridSweep.Runtime.Files;

/// <summary>
/// Replaces a file so that a crash at any moment leaves either the old content or the new, never a torn or
/// empty file: write a temporary file beside it (a name of its own, so two writers never share one), flush it
/// to the disk, rename it over the target, then flush the folder so the rename itself survives a power loss.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>; on any error the old file stays and the temporary one is removed.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
        FlushFolder(folder);
    }

    /// <summary>Makes a rename or a new file in <paramref name="folder"/> durable (fsync of the directory; a no-op off Linux and macOS).</summary>
    public static void FlushFolder(string folder)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return;
        var descriptor = Native.open(folder, OperatingSystem.IsLinux() ? Native.LinuxReadOnlyDirectory : Native.MacReadOnlyDirectory);
        if (descriptor < 0)
            return; // Durability of the rename is best effort where the folder cannot be opened (some network filesystems).
        try
        {
            Native.fsync(descriptor);
        }
        finally
        {
            Native.close(descriptor);
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static class Native
    {
        // O_RDONLY | O_DIRECTORY
        public const int LinuxReadOnlyDirectory = 0x10000;
        public const int MacReadOnlyDirectory = 0x100000;

        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int descriptor);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int descriptor);
    }
}
