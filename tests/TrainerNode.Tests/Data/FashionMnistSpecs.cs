using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.Progress;
using GridSweep.TrainerNode.Data;

namespace GridSweep.TrainerNode.Tests.Data;

/// <summary>The official files as the tutorial uses them, and the IDX reader against broken files.</summary>
public sealed class FashionMnistSpecs : IDisposable
{
    private readonly TempDirectory temp = new("gridsweep-fashion");

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task The_official_files_load_as_60000_train_and_10000_validation_images_of_784_pixels_in_0_to_1()
    {
        var data = await FashionMnist.LoadAsync(TestData.FashionMnistFolder, temp.Path);

        Assert.Equal(LearningTask.Multiclass, data.Task);
        Assert.Equal((60_000, 10_000), (data.Train.Count, data.Validation.Count));
        Assert.Equal(784, data.Train.Width);
        Assert.Equal(60_000 * 784, data.Train.Features.Length);
        Assert.InRange(data.Train.Features.Min(), 0f, 0f);
        Assert.InRange(data.Train.Features.Max(), 1f, 1f);
        // Balanced classes: 6,000 of each in train, 1,000 in test.
        Assert.All(data.Train.Targets.GroupBy(t => t), g => Assert.Equal(6_000, g.Count()));
        Assert.All(data.Validation.Targets.GroupBy(t => t), g => Assert.Equal(1_000, g.Count()));
        Assert.Equal(10, data.ClassNames.Count);
        Assert.Equal("Ankle boot", data.ClassNames[9]);
        // The first training image is an ankle boot (class 9), as every copy of the dataset shows.
        Assert.Equal(9f, data.Train.Targets[0]);
    }

    private static byte[] Idx(int magic, int[] dimensions, byte[] body, bool gzip = true)
    {
        var raw = new byte[4 * (1 + dimensions.Length) + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(raw, magic);
        for (var i = 0; i < dimensions.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(4 * (i + 1)), dimensions[i]);
        body.CopyTo(raw, 4 * (1 + dimensions.Length));
        if (!gzip)
            return raw;
        using var output = new MemoryStream();
        using (var compressor = new GZipStream(output, CompressionLevel.Fastest))
            compressor.Write(raw);
        return output.ToArray();
    }

    private static byte[] Images(int count) =>
        Idx(IdxFile.ImagesMagic, [count, 28, 28], Enumerable.Range(0, count * 784).Select(i => (byte)(i % 256)).ToArray());

    private static byte[] Labels(int count) => Idx(IdxFile.LabelsMagic, [count], Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray());

    /// <summary>Small but well-formed files under the official names: 12 train and 4 test images.</summary>
    private static Dictionary<string, byte[]> SmallFiles() => new()
    {
        [FashionMnist.TrainImages] = Images(12),
        [FashionMnist.TrainLabels] = Labels(12),
        [FashionMnist.TestImages] = Images(4),
        [FashionMnist.TestLabels] = Labels(4),
    };

    private string Write(string name, byte[] content)
    {
        var path = temp.Combine(name);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public async Task Without_a_folder_the_files_are_downloaded_once_with_progress_and_checked_by_md5()
    {
        var files = SmallFiles();
        using var server = LoopbackHttpServer.Files(files);
        var source = new FashionMnist.DownloadSource(server.Url, files.ToDictionary(f => f.Key, f => Convert.ToHexStringLower(MD5.HashData(f.Value))));
        var progress = new RecordingProgress();

        var data = await FashionMnist.LoadAsync(null, temp.Combine("cache"), source, progress, CancellationToken.None);
        await FashionMnist.LoadAsync(null, temp.Combine("cache"), source, null, CancellationToken.None);

        Assert.Equal((12, 4), (data.Train.Count, data.Validation.Count));
        Assert.Equal(4, server.Requests.Count); // The second load found them in the cache.
        Assert.Contains(DataProgress.Download, progress.Stages);
        Assert.True(File.Exists(temp.Combine("cache", "fashion-mnist", FashionMnist.TrainImages + ".md5")));
    }

    [Fact]
    public async Task A_download_with_the_wrong_md5_names_the_url_and_both_sums_and_leaves_nothing()
    {
        var files = SmallFiles();
        using var server = LoopbackHttpServer.Files(files);
        var wrong = files.ToDictionary(f => f.Key, _ => new string('0', 32));

        var error = await Assert.ThrowsAsync<DataSourceException>(() =>
            FashionMnist.LoadAsync(null, temp.Combine("cache"), new FashionMnist.DownloadSource(server.Url, wrong), null, CancellationToken.None));

        Assert.Contains(server.UrlOf(FashionMnist.TrainImages), error.Message);
        Assert.Contains("MD5 " + Convert.ToHexStringLower(MD5.HashData(files[FashionMnist.TrainImages])), error.Message);
        Assert.Contains(new string('0', 32), error.Message);
        Assert.Empty(Directory.GetFiles(temp.Combine("cache", "fashion-mnist")));
    }

    [Fact]
    public void Pixels_are_scaled_to_0_1_and_labels_kept_in_order()
    {
        var split = FashionMnist.Split(Write("images.gz", Images(3)), Write("labels.gz", Labels(3)));
        Assert.Equal(3 * 784, split.Features.Length);
        Assert.Equal(1f / 255f, split.Features[1]);
        Assert.Equal(1f, split.Features[255]);
        Assert.Equal([0f, 1f, 2f], split.Targets);
    }

    [Fact]
    public void Unzipped_idx_files_read_the_same()
    {
        var gzipped = FashionMnist.Split(Write("a.gz", Images(2)), Write("b.gz", Labels(2)));
        var raw = FashionMnist.Split(
            Write("a", Idx(IdxFile.ImagesMagic, [2, 28, 28], Enumerable.Range(0, 2 * 784).Select(i => (byte)(i % 256)).ToArray(), gzip: false)),
            Write("b", Idx(IdxFile.LabelsMagic, [2], [0, 1], gzip: false)));
        Assert.Equal(gzipped.Features, raw.Features);
    }

    [Fact]
    public void A_labels_file_given_as_images_is_refused_for_its_magic_number_naming_the_file()
    {
        var labels = Write("train-labels-idx1-ubyte.gz", Labels(3));
        var error = Assert.Throws<DataSourceException>(() => IdxFile.ReadImages(labels));
        Assert.Contains(labels, error.Message);
        Assert.Contains("magic number 0x00000801, expected 0x00000803", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_idx_at_all_is_refused_for_its_magic_number()
    {
        var text = Write("notes.txt", "hello, world"u8.ToArray());
        var error = Assert.Throws<DataSourceException>(() => IdxFile.ReadLabels(text));
        Assert.Contains(text, error.Message);
        Assert.Contains("magic number", error.Message);
    }

    [Fact]
    public void A_truncated_image_file_names_the_file_and_how_much_is_missing()
    {
        var full = Idx(IdxFile.ImagesMagic, [3, 28, 28], new byte[3 * 784], gzip: false);
        var path = Write("cut-images", full[..(16 + 784 + 100)]);
        var error = Assert.Throws<DataSourceException>(() => IdxFile.ReadImages(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
        Assert.Contains("3 images of 28x28 pixels (2352 bytes) but only 884 follow", error.Message);
    }

    [Fact]
    public void A_truncated_gzip_file_names_the_file()
    {
        var gzipped = Images(50);
        var path = Write("cut-images.gz", gzipped[..(gzipped.Length / 2)]);
        var error = Assert.Throws<DataSourceException>(() => IdxFile.ReadImages(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void A_file_cut_inside_its_header_is_truncated_not_misread()
    {
        var path = Write("header-only", Idx(IdxFile.ImagesMagic, [3, 28, 28], [], gzip: false)[..10]);
        var error = Assert.Throws<DataSourceException>(() => IdxFile.ReadImages(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("truncated inside its header", error.Message);
    }

    [Fact]
    public void Images_and_labels_of_different_counts_name_both_files()
    {
        var images = Write("images.gz", Images(5));
        var labels = Write("labels.gz", Labels(4));
        var error = Assert.Throws<DataSourceException>(() => FashionMnist.Split(images, labels));
        Assert.Contains(images, error.Message);
        Assert.Contains(labels, error.Message);
        Assert.Contains("4 labels but", error.Message);
        Assert.Contains("5 images", error.Message);
    }

    [Fact]
    public async Task A_folder_missing_a_file_names_the_file_it_needs()
    {
        Write(FashionMnist.TrainImages, Images(2));
        var error = await Assert.ThrowsAsync<DataSourceException>(() => FashionMnist.LoadAsync(temp.Path, temp.Combine("cache")));
        Assert.Contains(temp.Combine(FashionMnist.TrainLabels), error.Message);
    }
}
