using System.Runtime.InteropServices;

namespace GridSweep.Runtime.Files;

/// <summary>
/// Replaces a file so that a reader, or the file after a crash or power loss, is the old content or the new,
/// never a torn mix: write a temporary file with a unique name in the same folder, flush it to disk, rename it
/// over the target, then flush the folder so the rename itself is durable.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> as the new content of <paramref name="path"/>; creates its folder when missing.</summary>
    /// <param name="mode">Permissions of the new file on Unix, set when it is created, so a secret is never readable by others, even briefly.</param>
    public static void Write(string path, ReadOnlySpan<byte> bytes, UnixFileMode? mode = null)
    {
        var temporary = CreateTemporary(path, mode, out var file);
        try
        {
            using (file)
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }
            Commit(temporary, path);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Lets <paramref name="write"/> fill the new content of <paramref name="path"/> through a stream.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var temporary = CreateTemporary(path, mode: null, out var file);
        try
        {
            using (file)
            {
                // Not disposed: that would close the file before it is flushed to disk.
                var buffered = new BufferedStream(file, 1 << 16);
                write(buffered);
                buffered.Flush();
                file.Flush(flushToDisk: true);
            }
            Commit(temporary, path);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private static string CreateTemporary(string path, UnixFileMode? mode, out FileStream file)
    {
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        // Unique per process and call, so two writers of the same file never share a temporary file.
        var temporary = $"{fullPath}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 };
        if (mode is { } unixMode && !OperatingSystem.IsWindows())
            options.UnixCreateMode = unixMode;
        file = new FileStream(temporary, options);
        return temporary;
    }

    private static void Commit(string temporary, string path)
    {
        File.Move(temporary, path, overwrite: true);
        FlushFolder(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>
    /// fsync on the folder makes the rename durable (POSIX). .NET cannot open a folder as a stream, so this calls
    /// libc directly; Windows has no such call and makes renames durable through its journal instead.
    /// </summary>
    public static void FlushFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
            return;
        var descriptor = Posix.open(folder, Posix.ReadOnly);
        if (descriptor < 0)
            throw new IOException($"cannot open folder {folder} to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Posix.fsync(descriptor) != 0)
                throw new IOException($"cannot flush folder {folder} to disk (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Posix.close(descriptor);
        }
    }

    private static class Posix
    {
        /// <summary>O_RDONLY, which opens a folder too (O_DIRECTORY is left out: its value differs between architectures).</summary>
        public const int ReadOnly = 0;

        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int descriptor);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int descriptor);
    }
}
