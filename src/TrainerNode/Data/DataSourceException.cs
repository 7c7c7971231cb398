using GridSweep.Runtime.Configuration;

namespace GridSweep.TrainerNode.Data;

/// <summary>The data source is missing, incomplete or unreadable; the message names the path and the problem.</summary>
public sealed class DataSourceException : InputException
{
    public DataSourceException(string path, string problem, Exception? innerException = null)
        : base($"IMDB data '{path}': {problem}", innerException)
    {
        SourcePath = path;
    }

    public string SourcePath { get; }
}
