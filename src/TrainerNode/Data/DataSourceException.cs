using GridSweep.Runtime.Configuration;

namespace GridSweep.TrainerNode.Data;

/// <summary>The data source is missing, incomplete or unreadable; the message names the dataset, the path and the problem.</summary>
public sealed class DataSourceException : InputException
{
    /// <summary>A problem with the IMDB data.</summary>
    public DataSourceException(string path, string problem, Exception? innerException = null)
        : this("IMDB", path, problem, innerException)
    {
    }

    /// <param name="dataset">How messages name the dataset: <c>IMDB</c>, <c>Fashion-MNIST</c>, <c>CSV</c>.</param>
    public DataSourceException(string dataset, string path, string problem, Exception? innerException = null)
        : base($"{dataset} data '{path}': {problem}", innerException)
    {
        SourcePath = path;
    }

    public string SourcePath { get; }
}
