using System.Globalization;
using System.Security.Cryptography;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.Progress;

namespace GridSweep.TrainerNode.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017; MIT licence) from its four official IDX files: 60,000 train and
/// 10,000 test images of 28x28 bytes, 10 classes. Pixels are scaled to [0, 1] and flattened to 784 inputs; the
/// test split is the validation split, as the Keras tutorial does. The files come from a local folder, or are
/// downloaded once into the cache and checked against the MD5 sums the dataset publishes.
/// </summary>
public static class FashionMnist
{
    public const string DefaultBaseUrl = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
    public const string TrainImages = "train-images-idx3-ubyte.gz";
    public const string TrainLabels = "train-labels-idx1-ubyte.gz";
    public const string TestImages = "t10k-images-idx3-ubyte.gz";
    public const string TestLabels = "t10k-labels-idx1-ubyte.gz";
    public const int Classes = 10;

    /// <summary>The official files and their published MD5 sums.</summary>
    public static readonly IReadOnlyDictionary<string, string> Md5Sums = new Dictionary<string, string>
    {
        [TrainImages] = "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        [TrainLabels] = "25c81989df183df01b3e8a0aad5dffbe",
        [TestImages] = "bef4ecab320f06d8554ea6380940ec79",
        [TestLabels] = "bb300cfdad3c16e7a12a480ee83cd310",
    };

    public static readonly IReadOnlyList<string> ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private const string CacheFolder = "fashion-mnist";

    /// <summary>Where downloads come from and what they must hash to; tests serve small files from a loopback server.</summary>
    internal sealed record DownloadSource(string BaseUrl, IReadOnlyDictionary<string, string> Md5Sums)
    {
        public static readonly DownloadSource Official = new(DefaultBaseUrl, FashionMnist.Md5Sums);
    }

    /// <param name="folder">Holds the four files (gzipped, or unzipped without <c>.gz</c>); null downloads them into the cache.</param>
    public static Task<DenseDataset> LoadAsync(
        string? folder,
        string cacheDirectory,
        IProgress<DataProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        LoadAsync(folder, cacheDirectory, DownloadSource.Official, progress, cancellationToken);

    internal static async Task<DenseDataset> LoadAsync(
        string? folder,
        string cacheDirectory,
        DownloadSource source,
        IProgress<DataProgress>? progress,
        CancellationToken cancellationToken)
    {
        string[] names = [TrainImages, TrainLabels, TestImages, TestLabels];
        var paths = new string[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            paths[i] = folder is null
                ? await VerifiedDownload.EnsureAsync(Path.Combine(cacheDirectory, CacheFolder), Download(names[i], source), progress, cancellationToken)
                : InFolder(folder, names[i]);
        }
        // Decompressing and scaling 70,000 images is CPU work: off the caller's thread (an actor's mailbox).
        return await Task.Run(() =>
        {
            var stage = new StageProgress(progress, DataProgress.Read, 2);
            stage.Start();
            var (train, image, trainImages, trainLabels) = ReadSplit(paths[0], paths[1]);
            stage.Add(1);
            var (test, _, testImages, testLabels) = ReadSplit(paths[2], paths[3]);
            stage.Add(1);
            var identity = new DataIdentity([
                trainImages.As(DataRoles.TrainImages, paths[0]),
                trainLabels.As(DataRoles.TrainLabels, paths[1]),
                testImages.As(DataRoles.TestImages, paths[2]),
                testLabels.As(DataRoles.TestLabels, paths[3]),
            ]);
            var origin = folder is null ? "downloaded" : Path.GetFullPath(folder);
            var description = string.Create(CultureInfo.InvariantCulture,
                $"Fashion-MNIST ({origin}): {train.Count} train / {test.Count} validation images, {train.Width} pixels, {Classes} classes");
            return new DenseDataset(train, test, LearningTask.Multiclass, ClassNames, description, identity, image);
        }, cancellationToken);
    }

    private static DownloadedFile Download(string name, DownloadSource source) =>
        // The publisher lists MD5 sums only, no sizes.
        new("Fashion-MNIST", name, source.BaseUrl.TrimEnd('/') + "/" + name, HashAlgorithmName.MD5, source.Md5Sums[name], Size: null,
            "pass --data with a folder holding the four files (" + string.Join(", ", Md5Sums.Keys) + ")");

    private static string InFolder(string folder, string name)
    {
        var gzipped = Path.Combine(folder, name);
        if (File.Exists(gzipped))
            return gzipped;
        var unzipped = Path.Combine(folder, Path.GetFileNameWithoutExtension(name));
        if (File.Exists(unzipped))
            return unzipped;
        if (!Directory.Exists(folder))
            throw new DataSourceException("Fashion-MNIST", Path.GetFullPath(folder), "is not a folder; expected one holding " + string.Join(", ", Md5Sums.Keys));
        throw new DataSourceException("Fashion-MNIST", gzipped, "does not exist; the folder must hold " + string.Join(", ", Md5Sums.Keys));
    }

    /// <summary>Images and labels read, checked against each other, and scaled.</summary>
    internal static DenseSplit Split(string imagesPath, string labelsPath) => ReadSplit(imagesPath, labelsPath).Split;

    private static (DenseSplit Split, ScaledPixels Preparation, SourceDigest Images, SourceDigest Labels) ReadSplit(string imagesPath, string labelsPath)
    {
        var images = IdxFile.ReadImages(imagesPath);
        var (labels, labelsDigest) = IdxFile.ReadLabels(labelsPath);
        if (labels.Length != images.Count)
            throw new DataSourceException("Fashion-MNIST", labelsPath, $"has {labels.Length} labels but {imagesPath} has {images.Count} images");
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= Classes)
                throw new DataSourceException("Fashion-MNIST", labelsPath, $"label {i} is {labels[i]}, outside 0..{Classes - 1}");
        }
        var features = new float[images.Pixels.Length];
        for (var i = 0; i < features.Length; i++)
            features[i] = images.Pixels[i] / 255f;
        return (new DenseSplit(features, images.Rows * images.Columns, labels.Select(l => (float)l).ToArray()), new ScaledPixels(images.Rows, images.Columns),
            images.Digest, labelsDigest);
    }
}
