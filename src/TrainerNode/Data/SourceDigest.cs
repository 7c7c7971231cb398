using System.Security.Cryptography;
using System.Text;
using GridSweep.Messages.Protocol;

namespace GridSweep.TrainerNode.Data;

/// <summary>The size and SHA-256 (lowercase hex) of the bytes a dataset was read from: what <c>sha256sum</c> prints for a file.</summary>
internal readonly record struct SourceDigest(long Bytes, string Sha256)
{
    /// <summary>The digest as the <see cref="DataSource"/> of <paramref name="path"/> in its role; only the file name is kept.</summary>
    public DataSource As(string role, string path) => new(role, Path.GetFileName(Path.TrimEndingDirectorySeparator(path)), Bytes, Sha256);

    /// <summary>Bytes already in memory (a table, a word index, a review file), hashed as they are parsed.</summary>
    public static SourceDigest Of(ReadOnlySpan<byte> bytes) => new(bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));

    /// <summary>
    /// A folder of files as one digest: SHA-256 over the lines <c>&lt;relative path&gt; &lt;bytes&gt; &lt;sha256&gt;\n</c>, sorted by
    /// relative path (ordinal, <c>/</c> separators), so the same files give the same digest on any machine, whatever
    /// order they were listed or read in, and a renamed, added, dropped or edited file changes it.
    /// </summary>
    public static SourceDigest OfFolder(IEnumerable<(string RelativePath, SourceDigest File)> files)
    {
        var lines = new StringBuilder();
        var total = 0L;
        foreach (var (relativePath, file) in files.OrderBy(f => f.RelativePath, StringComparer.Ordinal))
        {
            lines.Append(relativePath.Replace('\\', '/')).Append(' ').Append(file.Bytes).Append(' ').Append(file.Sha256).Append('\n');
            total += file.Bytes;
        }
        return new SourceDigest(total, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(lines.ToString()))));
    }
}

/// <summary>
/// Hashes a file while a reader (a gzip or tar reader) reads through it, so the dataset's bytes are read once for
/// both. <see cref="Finish"/> reads whatever the reader left (a gzip trailer, tar padding), so the digest is always
/// that of the whole file. Read-only and forward-only: nothing may seek the stream underneath.
/// </summary>
internal sealed class HashingStream(Stream inner) : Stream
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long bytes;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => bytes;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        hash.AppendData(buffer[..read]);
        bytes += read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        hash.AppendData(buffer.Span[..read]);
        bytes += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Reads the rest of the stream into the hash and returns the digest of everything.</summary>
    /// <param name="expectedBytes">The file's length, when known: a digest of fewer bytes is a bug, never a result.</param>
    public SourceDigest Finish(long? expectedBytes = null)
    {
        var buffer = new byte[1 << 16];
        while (Read(buffer) > 0)
        {
        }
        if (expectedBytes is { } expected && bytes != expected)
            throw new InvalidOperationException($"hashed {bytes} bytes of a {expected}-byte file: the stream was not read from its start");
        return new SourceDigest(bytes, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            hash.Dispose();
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
