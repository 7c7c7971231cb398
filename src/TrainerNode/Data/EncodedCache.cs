using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GridSweep.Messages.Protocol;
using GridSweep.Runtime.Progress;

namespace GridSweep.TrainerNode.Data;

/// <summary>
/// An encoded <see cref="ReviewDataset"/> in one binary file, so later runs skip reading and tokenizing.
/// Layout: magic, version, byte-order mark, num_words, description, the identity of the files it was encoded from
/// (<see cref="DataIdentity"/> as JSON), the vocabulary (<see cref="MultiHotWords"/> as JSON, length 0 for none), then per split the review count, token count, labels, offsets and tokens as raw native
/// arrays, then the count, offsets and indices of each review's distinct words (<see cref="ReviewSplit.Distinct"/>, the
/// multi-hot rows a trainer needs, which took seconds to build at every start), and a SHA-256 of everything before it.
/// A file that is missing, truncated, corrupt or of another version is simply not used.
/// </summary>
internal static class EncodedCache
{
    // Bump when the layout or the encoding itself (tokenizer, ranking) changes, so old caches are re-encoded.
    // 2: the vocabulary, which kept models record. 3: the data's identity, which run folders record.
    // 4: each review's distinct words.
    private const int Version = 4;
    private const int ByteOrderMark = 0x01020304;
    private const int HashSize = 32;

    private static ReadOnlySpan<byte> Magic => "GSIMDBEC"u8;

    /// <summary>The cache file for a key that names everything the encoding depends on.</summary>
    public static string PathFor(string cacheDirectory, string key)
    {
        // The version is part of the name, so builds of two versions sharing a cache do not overwrite each other's files.
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{key}|v{Version}")));
        return Path.Combine(cacheDirectory, $"imdb-encoded-{hash[..32]}.bin");
    }

    public static ReviewDataset? TryLoad(string path, int numWords, IProgress<DataProgress>? progress)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            var stage = new StageProgress(progress, DataProgress.Cache, file.Length);
            stage.Start();
            var reader = new HashingReader(file, file.Length - HashSize);

            Span<byte> magic = stackalloc byte[8];
            reader.Read(magic);
            if (!magic.SequenceEqual(Magic) || reader.ReadInt32() != Version || reader.ReadInt32() != ByteOrderMark
                || reader.ReadInt32() != numWords)
                return null;
            var description = Encoding.UTF8.GetString(reader.ReadArray<byte>(reader.ReadInt32()));
            var identity = JsonSerializer.Deserialize<DataIdentity>(reader.ReadArray<byte>(reader.ReadInt32()))
                ?? throw new InvalidDataException("no data identity");
            var vocabulary = reader.ReadArray<byte>(reader.ReadInt32());
            var preparation = vocabulary.Length == 0 ? null : JsonSerializer.Deserialize<MultiHotWords>(vocabulary);
            var train = ReadSplit(reader);
            var test = ReadSplit(reader);

            Span<byte> expected = stackalloc byte[HashSize];
            if (reader.Remaining != 0 || file.Read(expected) != HashSize || !reader.Hash().SequenceEqual(expected))
                return null;
            stage.Set(file.Length);
            return new ReviewDataset(train, test, numWords, description, identity, preparation);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException or JsonException)
        {
            // Missing or damaged: the caller encodes again and overwrites it.
            return null;
        }
    }

    /// <summary>Writes to a temporary file and renames it, so readers never see a half-written cache.</summary>
    public static void Save(string path, ReviewDataset dataset, IProgress<DataProgress>? progress)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var writer = new HashingWriter(file);
                var description = Encoding.UTF8.GetBytes(dataset.Description);
                writer.Write(Magic);
                writer.Write(Version);
                writer.Write(ByteOrderMark);
                writer.Write(dataset.NumWords);
                writer.Write(description.Length);
                writer.Write<byte>(description);
                var identity = JsonSerializer.SerializeToUtf8Bytes(dataset.Identity);
                writer.Write(identity.Length);
                writer.Write<byte>(identity);
                var vocabulary = dataset.Preparation is null ? [] : JsonSerializer.SerializeToUtf8Bytes(dataset.Preparation);
                writer.Write(vocabulary.Length);
                writer.Write<byte>(vocabulary);
                WriteSplit(writer, dataset.Train);
                WriteSplit(writer, dataset.Test);
                file.Write(writer.Hash());
                file.Flush(flushToDisk: true);
                progress?.Report(new DataProgress(DataProgress.Save, file.Length, file.Length));
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private static void WriteSplit(HashingWriter writer, ReviewSplit split)
    {
        writer.Write(split.Count);
        writer.Write(split.Tokens.Length);
        writer.Write<float>(split.Labels);
        writer.Write<int>(split.Offsets);
        writer.Write<int>(split.Tokens);
        var distinct = split.Distinct;
        writer.Write(distinct.Words.Length);
        writer.Write<int>(distinct.Offsets);
        writer.Write<int>(distinct.Words);
    }

    private static ReviewSplit ReadSplit(HashingReader reader)
    {
        var count = reader.ReadInt32();
        var tokenCount = reader.ReadInt32();
        if (count < 0 || count == int.MaxValue || tokenCount < 0)
            throw new InvalidDataException("negative length");
        var labels = reader.ReadArray<float>(count);
        var offsets = reader.ReadArray<int>(count + 1);
        var tokens = reader.ReadArray<int>(tokenCount);
        var distinctCount = reader.ReadInt32();
        if (distinctCount < 0 || distinctCount > tokenCount)
            throw new InvalidDataException("distinct word count out of range");
        var distinct = new DistinctWords(reader.ReadArray<int>(count + 1), reader.ReadArray<int>(distinctCount));
        return new ReviewSplit(labels, offsets, tokens).WithDistinct(distinct);
    }

    private sealed class HashingWriter(Stream stream)
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public void Write(int value)
        {
            Span<byte> bytes = stackalloc byte[sizeof(int)];
            MemoryMarshal.Write(bytes, in value);
            Write(bytes);
        }

        public void Write<T>(ReadOnlySpan<T> values) where T : unmanaged => Write(MemoryMarshal.AsBytes(values));

        public void Write(ReadOnlySpan<byte> bytes)
        {
            _hash.AppendData(bytes);
            stream.Write(bytes);
        }

        public byte[] Hash() => _hash.GetHashAndReset();
    }

    private sealed class HashingReader(Stream stream, long length)
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public long Remaining { get; private set; } = length;

        public int ReadInt32()
        {
            Span<byte> bytes = stackalloc byte[sizeof(int)];
            Read(bytes);
            return MemoryMarshal.Read<int>(bytes);
        }

        /// <summary>Checks the length against what is left first, so a corrupt count cannot allocate gigabytes.</summary>
        public T[] ReadArray<T>(int count) where T : unmanaged
        {
            if ((long)count * Unsafe.SizeOf<T>() > Remaining)
                throw new InvalidDataException("array runs past the end of the file");
            var values = new T[count];
            Read(MemoryMarshal.AsBytes(values.AsSpan()));
            return values;
        }

        public void Read(Span<byte> bytes)
        {
            if (bytes.Length > Remaining)
                throw new InvalidDataException("runs past the end of the file");
            stream.ReadExactly(bytes);
            _hash.AppendData(bytes);
            Remaining -= bytes.Length;
        }

        public byte[] Hash() => _hash.GetHashAndReset();
    }
}
