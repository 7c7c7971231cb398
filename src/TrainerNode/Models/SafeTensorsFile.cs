using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using GridSweep.Runtime.Files;
using TorchSharp;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Models;

/// <summary>
/// Named tensors and string metadata in the safetensors format, which PyTorch reads with
/// <c>safetensors.torch.load_file</c>: an 8-byte little-endian header length, a JSON header
/// <c>{name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}</c> padded with spaces to a multiple of
/// 8 bytes, then each tensor's raw little-endian bytes, row-major, one after the other.
/// </summary>
/// <remarks>
/// Our own rather than TorchSharp.PyBridge's <c>Safetensors</c> (1.4.4): that one writes no <c>__metadata__</c>, which
/// the kept models and the checkpoints need (trial id, epoch, generator state), writes the header length in UTF-16
/// characters rather than bytes (a non-ASCII tensor name makes the file unreadable), and brings a pickle, a zip and a
/// progress-bar library with it. The format is small enough to hold here whole.
/// </remarks>
public static class SafeTensorsFile
{
    public const string MetadataKey = "__metadata__";

    /// <summary>Headers beyond this are refused on reading: the Python library's own limit, and a guard against a corrupt length.</summary>
    private const long MaximumHeaderBytes = 100_000_000;

    /// <summary>Writes the tensors (any device; copied to the CPU) and metadata to <paramref name="path"/> atomically (<see cref="AtomicFile"/>).</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var listed = tensors.ToList();
        AtomicFile.Write(path, stream => Write(stream, listed, metadata));
    }

    /// <summary>The file's bytes, to send elsewhere or write later.</summary>
    public static byte[] ToBytes(IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var memory = new MemoryStream();
        Write(memory, tensors, metadata);
        return memory.ToArray();
    }

    /// <summary>Writes the file's bytes to <paramref name="stream"/>, which stays open.</summary>
    public static void Write(Stream stream, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var listed = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in listed)
        {
            if (name == MetadataKey || !names.Add(name))
                throw new ArgumentException($"tensor name '{name}' is {(name == MetadataKey ? "reserved" : "given twice")}", nameof(tensors));
        }

        using var scope = NewDisposeScope();
        // Row-major bytes on the CPU; a tensor already there and contiguous is not copied.
        var contiguous = listed.Select(entry => entry.Tensor.detach().cpu().contiguous()).ToList();
        var header = Header(listed.Select(entry => entry.Name).ToList(), contiguous, metadata);

        Span<byte> length = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var tensor in contiguous)
            stream.Write(tensor.bytes);
    }

    /// <summary>Reads a file written by this class, by Python's <c>safetensors.torch.save_file</c>, or any other writer of the format.</summary>
    /// <exception cref="InvalidDataException">The file is not safetensors, or is truncated or inconsistent; the message names it.</exception>
    public static SafeTensorsContent Read(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        try
        {
            return Read(file, file.Length);
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"{path}: {error.Message}", error);
        }
    }

    public static SafeTensorsContent Read(ReadOnlyMemory<byte> bytes)
    {
        using var stream = new MemoryStream(bytes.ToArray(), writable: false);
        return Read(stream, stream.Length);
    }

    /// <param name="length">The stream's length when known, so a truncated file is told apart from a short data segment.</param>
    public static SafeTensorsContent Read(Stream stream, long? length = null)
    {
        Span<byte> prefix = stackalloc byte[sizeof(ulong)];
        ReadExactly(stream, prefix, "the 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength is 0 or > MaximumHeaderBytes || (length is { } total && (long)headerLength > total - sizeof(ulong)))
            throw new InvalidDataException($"header length {headerLength} does not fit the file; is this a safetensors file?");
        var header = new byte[headerLength];
        ReadExactly(stream, header, "the header");

        var (entries, metadata) = ParseHeader(header);
        var dataLength = length - sizeof(ulong) - (long)headerLength;
        CheckLayout(entries, dataLength);

        var tensors = new List<(string Name, Tensor Tensor)>(entries.Count);
        var content = new SafeTensorsContent(tensors, metadata);
        try
        {
            foreach (var entry in entries.OrderBy(e => e.Begin))
            {
                var tensor = empty(entry.Shape, entry.Type).DetachFromDisposeScope();
                tensors.Add((entry.Name, tensor));
                if (tensor.NumberOfElements * tensor.ElementSize != entry.End - entry.Begin)
                    throw new InvalidDataException($"tensor '{entry.Name}' of shape [{string.Join(", ", entry.Shape)}] {entry.DType} needs {tensor.NumberOfElements * tensor.ElementSize} bytes, its offsets give {entry.End - entry.Begin}");
                ReadExactly(stream, tensor.bytes, $"tensor '{entry.Name}'");
            }
            // Callers see the header's order, as Python's load_file gives it.
            var order = entries.Select((entry, index) => (entry.Name, index)).ToDictionary(p => p.Name, p => p.index, StringComparer.Ordinal);
            tensors.Sort((a, b) => order[a.Name].CompareTo(order[b.Name]));
            return content;
        }
        catch
        {
            content.Dispose();
            throw;
        }
    }

    private static byte[] Header(IReadOnlyList<string> names, IReadOnlyList<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            for (var i = 0; i < names.Count; i++)
            {
                var bytes = tensors[i].NumberOfElements * tensors[i].ElementSize;
                json.WriteStartObject(names[i]);
                json.WriteString("dtype", DTypeName(tensors[i].dtype, names[i]));
                json.WriteStartArray("shape");
                foreach (var size in tensors[i].shape)
                    json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        // Spaces to a multiple of 8 bytes, as the Python library pads, so the tensors that follow stay aligned.
        var padded = (buffer.Length + 7) / 8 * 8;
        while (buffer.Length < padded)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private sealed record Entry(string Name, string DType, ScalarType Type, long[] Shape, long Begin, long End);

    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseHeader(byte[] header)
    {
        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(header);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException("the header is not a JSON object");
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    foreach (var item in property.Value.EnumerateObject())
                        metadata[item.Name] = item.Value.GetString() ?? throw new InvalidDataException($"metadata '{item.Name}' is not a string");
                    continue;
                }
                var value = property.Value;
                var dtype = value.GetProperty("dtype").GetString() ?? "";
                var shape = value.GetProperty("shape").EnumerateArray().Select(size => size.GetInt64()).ToArray();
                var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(offset => offset.GetInt64()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || shape.Any(size => size < 0))
                    throw new InvalidDataException($"tensor '{property.Name}' has offsets [{string.Join(", ", offsets)}] and shape [{string.Join(", ", shape)}]");
                entries.Add(new Entry(property.Name, dtype, ScalarTypeOf(dtype, property.Name), shape, offsets[0], offsets[1]));
            }
        }
        catch (Exception error) when (error is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"the header is not safetensors JSON: {error.Message}", error);
        }
        return (entries, metadata);
    }

    /// <summary>The format asks for the data segment to be covered exactly: tensors one after the other from 0, no gaps, no overlaps.</summary>
    private static void CheckLayout(List<Entry> entries, long? dataLength)
    {
        long expected = 0;
        foreach (var entry in entries.OrderBy(e => e.Begin))
        {
            if (entry.Begin != expected)
                throw new InvalidDataException($"tensor '{entry.Name}' starts at byte {entry.Begin} of the data, expected {expected} (a gap or an overlap)");
            expected = entry.End;
        }
        if (dataLength is { } length && length != expected)
            throw new InvalidDataException($"the tensors cover {expected} bytes of data but the file holds {length} (truncated or padded)");
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException error)
        {
            throw new InvalidDataException($"the file ends inside {what}", error);
        }
    }

    /// <summary>The format's name of a tensor type: F32, I64, ...</summary>
    internal static string DTypeName(ScalarType type, string name) => type switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new ArgumentException($"tensor '{name}' has type {type}, which safetensors has no name for"),
    };

    private static ScalarType ScalarTypeOf(string dtype, string name) => dtype switch
    {
        "F64" => ScalarType.Float64,
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new InvalidDataException($"tensor '{name}' has dtype '{dtype}', which TorchSharp cannot hold"),
    };
}

/// <summary>The tensors of a safetensors file, on the CPU, in the header's order, and its metadata. Disposing it disposes the tensors.</summary>
public sealed class SafeTensorsContent : IDisposable
{
    private readonly List<(string Name, Tensor Tensor)> tensors;

    internal SafeTensorsContent(List<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        this.tensors = tensors;
        Metadata = metadata;
    }

    public IReadOnlyList<(string Name, Tensor Tensor)> Tensors => tensors;

    public IReadOnlyList<string> Names => tensors.Select(entry => entry.Name).ToList();

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <exception cref="KeyNotFoundException">No tensor of that name; the message lists those there are.</exception>
    public Tensor this[string name] => TryGet(name, out var tensor)
        ? tensor
        : throw new KeyNotFoundException($"no tensor '{name}'; the file holds {string.Join(", ", Names)}");

    public bool TryGet(string name, out Tensor tensor)
    {
        foreach (var entry in tensors)
        {
            if (entry.Name == name)
            {
                tensor = entry.Tensor;
                return true;
            }
        }
        tensor = null!;
        return false;
    }

    public void Dispose()
    {
        foreach (var (_, tensor) in tensors)
            tensor.Dispose();
        tensors.Clear();
    }
}
