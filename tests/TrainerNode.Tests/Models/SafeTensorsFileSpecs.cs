using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using GridSweep.TrainerNode.Models;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Tests.Models;

public sealed class SafeTensorsFileSpecs
{
    private static readonly Dictionary<string, string> Metadata = new() { ["trial_id"] = "0123456789ab", ["note"] = "é, \"quoted\"" };

    [Fact]
    public void Tensors_of_every_type_and_the_metadata_read_back_exactly_as_written()
    {
        using var temp = new TempDirectory();
        using var scope = NewDisposeScope();
        var written = new (string Name, Tensor Tensor)[]
        {
            ("0.weight", randn(3, 5)),
            ("0.bias", arange(3, dtype: ScalarType.Float64)),
            ("1.num_batches_tracked", tensor(41L)),
            ("moments.m", randn(4, dtype: ScalarType.Float16)),
            ("moments.v", randn(2, 2, dtype: ScalarType.BFloat16)),
            ("generator", tensor(new byte[] { 1, 2, 250 })),
            ("counts", tensor(new[] { -7, 8 })),
            ("mask", tensor(new[] { true, false })),
            ("kernel.transposed", randn(5, 3).t()), // not contiguous: written row-major all the same
            ("wörter", zeros(0)),
        };
        var path = temp.Combine("tensors.safetensors");

        SafeTensorsFile.Write(path, written, Metadata);
        using var read = SafeTensorsFile.Read(path);

        Assert.Equal(written.Select(w => w.Name), read.Names);
        foreach (var (name, tensor) in written)
        {
            Assert.Equal(tensor.dtype, read[name].dtype);
            Assert.Equal(tensor.shape, read[name].shape);
            Assert.True(tensor.contiguous().bytes.SequenceEqual(read[name].bytes), name);
        }
        Assert.Equal(Metadata, read.Metadata);
    }

    [Fact]
    public void The_file_follows_the_format_byte_for_byte()
    {
        using var a = tensor(new[] { 1f, 2f });
        using var b = tensor(new[] { 3L });

        var bytes = SafeTensorsFile.ToBytes([("a", a), ("b", b)], new Dictionary<string, string> { ["format"] = "pt" });

        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, headerLength)).RootElement;
        Assert.Equal("pt", header.GetProperty("__metadata__").GetProperty("format").GetString());
        Assert.Equal("F32", header.GetProperty("a").GetProperty("dtype").GetString());
        Assert.Equal([2L], header.GetProperty("a").GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([0L, 8L], header.GetProperty("a").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([8L, 16L], header.GetProperty("b").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        var data = bytes.AsSpan(8 + headerLength);
        Assert.Equal(16, data.Length);
        Assert.Equal(2f, BinaryPrimitives.ReadSingleLittleEndian(data[4..]));
        Assert.Equal(3L, BinaryPrimitives.ReadInt64LittleEndian(data[8..]));
    }

    [Fact]
    public void Writing_over_a_file_replaces_it_and_leaves_no_temporary_file_behind()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("models", "trial.safetensors");
        using var first = ones(4);
        using var second = zeros(2, 2);

        SafeTensorsFile.Write(path, [("w", first)]);
        SafeTensorsFile.Write(path, [("w", second)]);

        Assert.Equal(["trial.safetensors"], Directory.GetFiles(temp.Combine("models")).Select(Path.GetFileName));
        using var read = SafeTensorsFile.Read(path);
        Assert.Equal([2L, 2L], read["w"].shape);
    }

    [Fact]
    public void A_truncated_file_is_refused_with_its_path_and_what_is_missing()
    {
        using var temp = new TempDirectory();
        using var weights = randn(10, 10);
        var bytes = SafeTensorsFile.ToBytes([("w", weights)]);
        var path = temp.Combine("cut.safetensors");
        File.WriteAllBytes(path, bytes[..^10]);

        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void A_file_of_another_format_is_refused_as_not_safetensors()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("notes.safetensors");
        File.WriteAllText(path, "epoch,val_loss\n1,0.3\n");

        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));

        Assert.Contains("is this a safetensors file?", error.Message);
    }

    [Fact]
    public void A_name_given_twice_is_refused()
    {
        using var w = ones(1);
        var error = Assert.Throws<ArgumentException>(() => SafeTensorsFile.ToBytes([("w", w), ("w", w)]));
        Assert.Contains("'w' is given twice", error.Message);
    }
}
