using System.Buffers.Binary;
using System.IO.Compression;

namespace GridSweep.TrainerNode.Data;

/// <summary>
/// Reads the IDX files of MNIST-style datasets, gzipped or not: a big-endian header (magic <c>0x00000803</c> for
/// images: count, rows, columns; <c>0x00000801</c> for labels: count), then one unsigned byte per pixel or label.
/// Every problem names the file.
/// </summary>
internal static class IdxFile
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;
    private const string Dataset = "Fashion-MNIST";

    /// <param name="Digest">The file's SHA-256, hashed as it was read.</param>
    public sealed record Images(int Count, int Rows, int Columns, byte[] Pixels, SourceDigest Digest);

    /// <param name="Digest">The file's SHA-256, hashed as it was read.</param>
    public sealed record Labels(byte[] Values, SourceDigest Digest);

    public static Images ReadImages(string path)
    {
        using var file = IdxStream.Open(path);
        var header = ReadHeader(file.Reader, path, ImagesMagic, "images", dimensions: 3);
        var (count, rows, columns) = (header[0], header[1], header[2]);
        var pixels = ReadBody(file.Reader, path, (long)count * rows * columns, $"{count} images of {rows}x{columns} pixels");
        return new Images(count, rows, columns, pixels, file.Finish());
    }

    public static Labels ReadLabels(string path)
    {
        using var file = IdxStream.Open(path);
        var count = ReadHeader(file.Reader, path, LabelsMagic, "labels", dimensions: 1)[0];
        return new Labels(ReadBody(file.Reader, path, count, $"{count} labels"), file.Finish());
    }

    /// <summary>The file, decompressed when it starts with gzip's magic bytes, and hashed as it is read.</summary>
    private sealed class IdxStream : IDisposable
    {
        private readonly long length;
        private readonly HashingStream hashing;

        private IdxStream(FileStream file)
        {
            length = file.Length;
            var gzip = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
            file.Position = 0;
            hashing = new HashingStream(file);
            Reader = gzip ? new GZipStream(hashing, CompressionMode.Decompress, leaveOpen: true) : hashing;
        }

        public Stream Reader { get; }

        public static IdxStream Open(string path)
        {
            if (!File.Exists(path))
                throw new DataSourceException(Dataset, path, "does not exist");
            return new IdxStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan));
        }

        /// <summary>The whole file's digest, once its body is read: the bytes after it are hashed too.</summary>
        public SourceDigest Finish() => hashing.Finish(length);

        public void Dispose()
        {
            Reader.Dispose();
            hashing.Dispose();
        }
    }

    private static int[] ReadHeader(Stream stream, string path, int magic, string kind, int dimensions)
    {
        var header = new byte[4 * (1 + dimensions)];
        var read = Read(stream, path, header);
        if (read < 4)
            throw new DataSourceException(Dataset, path, $"is truncated: {read} bytes, not even the 4-byte magic number");
        var found = BinaryPrimitives.ReadInt32BigEndian(header);
        if (found != magic)
            throw new DataSourceException(Dataset, path, $"has magic number 0x{found:x8}, expected 0x{magic:x8} (IDX {kind}); is it the right file, and an IDX file at all?");
        if (read < header.Length)
            throw new DataSourceException(Dataset, path, $"is truncated inside its header: {read} of {header.Length} bytes");
        var sizes = new int[dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            sizes[i] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 * (i + 1)));
            if (sizes[i] <= 0)
                throw new DataSourceException(Dataset, path, $"has dimension {i + 1} of size {sizes[i]}");
        }
        return sizes;
    }

    private static byte[] ReadBody(Stream stream, string path, long expected, string what)
    {
        if (expected > Array.MaxLength)
            throw new DataSourceException(Dataset, path, $"announces {what}, {expected} bytes: too large to be real");
        var body = new byte[expected];
        var read = Read(stream, path, body);
        if (read < expected)
            throw new DataSourceException(Dataset, path, $"is truncated: its header announces {what} ({expected} bytes) but only {read} follow");
        return body;
    }

    private static int Read(Stream stream, string path, byte[] buffer)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new DataSourceException(Dataset, path, $"is not a readable gzip file (corrupt or truncated): {e.Message}", e);
        }
    }
}
