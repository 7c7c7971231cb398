namespace GridSweep.TestKit;

/// <summary>Locates the repository and the shared data files the tests need.</summary>
public static class TestData
{
    public const string ImdbArchiveVariable = "GRIDSWEEP_IMDB_ARCHIVE";
    public const string KerasWordIndexVariable = "GRIDSWEEP_KERAS_WORD_INDEX";

    private static readonly Lazy<string> Root = new(FindRepoRoot);

    /// <summary>The folder holding GridSweep.slnx, found by walking up from the test binaries.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The labelled IMDB archive: <c>$GRIDSWEEP_IMDB_ARCHIVE</c>, else <c>&lt;repo&gt;/../shared/data/imdb/aclImdb_labeled.tar.gz</c>.</summary>
    public static string ImdbArchive => RequireFile(
        ImdbArchiveVariable,
        Path.Combine("data", "imdb", "aclImdb_labeled.tar.gz"),
        "Stanford's aclImdb_v1.tar.gz (https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz) works too");

    /// <summary>Keras' <c>imdb_word_index.json</c>: <c>$GRIDSWEEP_KERAS_WORD_INDEX</c>, else next to the shared archive.</summary>
    public static string KerasWordIndex => RequireFile(
        KerasWordIndexVariable,
        Path.Combine("data", "imdb", "imdb_word_index.json"),
        "Keras publishes it at https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb_word_index.json");

    /// <summary>The four official Fashion-MNIST files' folder: <c>$GRIDSWEEP_FASHION_MNIST</c>, else <c>&lt;repo&gt;/../shared/data/fashion-mnist</c>.</summary>
    public static string FashionMnistFolder
    {
        get
        {
            var folder = Path.GetDirectoryName(RequireFile(
                "GRIDSWEEP_FASHION_MNIST_IMAGES",
                Path.Combine("data", "fashion-mnist", "train-images-idx3-ubyte.gz"),
                "the dataset's four official .gz files (Debian's dataset-fashion-mnist installs them under /usr/share/datasets/fashion-mnist)"))!;
            return folder;
        }
    }

    /// <summary>The Boston housing table: <c>&lt;repo&gt;/../shared/data/boston-housing/boston_housing.csv</c>.</summary>
    public static string BostonHousing => RequireFile(
        "GRIDSWEEP_BOSTON_HOUSING",
        Path.Combine("data", "boston-housing", "boston_housing.csv"),
        "the repository ships the same table as sweeps/data/boston_housing.csv");

    /// <summary>A small real table shipped with the tests (<c>tests/data/tables</c>, see its SOURCE.md).</summary>
    public static string Table(string fileName) => Path.Combine(RepoRoot, "tests", "data", "tables", fileName);

    private static string FindRepoRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "GridSweep.slnx")))
                return folder.FullName;
        }
        throw new InvalidOperationException($"no GridSweep.slnx in {AppContext.BaseDirectory} or any folder above it; run the tests from the repository");
    }

    private static string RequireFile(string variable, string sharedRelativePath, string hint)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(variable);
        var path = string.IsNullOrWhiteSpace(fromEnvironment)
            ? Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", sharedRelativePath))
            : Path.GetFullPath(fromEnvironment);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Test data '{path}' is missing. Put it at <repo>/../shared/{sharedRelativePath.Replace('\\', '/')} " +
                $"or set {variable} to its path ({hint}).", path);
        }
        return path;
    }
}

/// <summary>A fresh folder (mode 700) under the system temp folder or a given one, deleted with everything in it on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "gridsweep-test")
    {
        Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;
    }

    /// <summary>A fresh folder inside <paramref name="parent"/> rather than the system temp folder.</summary>
    public TempDirectory(string prefix, string parent)
    {
        while (true)
        {
            var path = System.IO.Path.Combine(System.IO.Path.GetFullPath(parent), $"{prefix}-{System.IO.Path.GetRandomFileName().Replace(".", "")}");
            if (Directory.Exists(path) || File.Exists(path))
                continue;
            Path = OperatingSystem.IsWindows()
                ? Directory.CreateDirectory(path).FullName
                : Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute).FullName;
            return;
        }
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere must not fail the test that owns this folder.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
