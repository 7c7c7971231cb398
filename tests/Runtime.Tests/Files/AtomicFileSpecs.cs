using GridSweep.Runtime.Files;
using GridSweep.TestKit;

namespace GridSweep.Runtime.Tests.Files;

public sealed class AtomicFileSpecs : IDisposable
{
    private readonly TempDirectory directory = new("gridsweep-atomic");

    public void Dispose() => directory.Dispose();

    [Fact]
    public void A_write_replaces_the_whole_file_and_leaves_no_temporary_file()
    {
        var file = directory.Combine("state.bin");
        File.WriteAllText(file, "old content that is longer than the new");

        AtomicFile.Write(file, stream => stream.Write("new"u8));

        Assert.Equal("new", File.ReadAllText(file));
        Assert.Equal([file], Directory.GetFiles(directory.Path));
    }

    [Fact]
    public void A_write_that_fails_midway_leaves_the_old_file_whole_and_no_temporary_file()
    {
        var file = directory.Combine("state.bin");
        File.WriteAllText(file, "old");

        var error = Assert.Throws<IOException>(() => AtomicFile.Write(file, stream =>
        {
            stream.Write(new byte[100_000]);
            throw new IOException("No space left on device");
        }));

        Assert.Contains("No space left", error.Message);
        Assert.Equal("old", File.ReadAllText(file));
        Assert.Equal([file], Directory.GetFiles(directory.Path));
    }

    [Fact]
    public void Two_writers_of_one_file_never_mix_their_bytes()
    {
        var file = directory.Combine("shared.bin");
        var first = Enumerable.Repeat((byte)'a', 1 << 20).ToArray();
        var second = Enumerable.Repeat((byte)'b', 1 << 20).ToArray();

        Parallel.For(0, 20, i => AtomicFile.Write(file, stream => stream.Write(i % 2 == 0 ? first : second)));

        var content = File.ReadAllBytes(file);
        Assert.True(content.SequenceEqual(first) || content.SequenceEqual(second), "the file mixes two writers' bytes");
        Assert.Equal([file], Directory.GetFiles(directory.Path));
    }
}
