using System.Text;

namespace GridSweep.Coordinator.Reports;

/// <summary>
/// Writes a sweep's report into <c>&lt;run&gt;/report/</c>: the figures as PNG and an <c>index.html</c> that
/// shows them with the ranked trial table.
/// </summary>
public static class ReportWriter
{
    public const string FolderName = "report";
    public const string IndexFile = "index.html";

    private const string StagingPrefix = ".report-";

    /// <summary>
    /// Reads <c>epochs.csv</c> and <c>trials.csv</c> of <paramref name="runDirectory"/> and writes its report.
    /// The report is built in a staging folder beside it and swapped in whole, so a crash leaves either the
    /// previous report or the new one, never a mix or a half-written file.
    /// </summary>
    /// <returns>The path of the report's index.html.</returns>
    /// <exception cref="ReportException">The folder or one of its files is missing or unreadable, or no trial finished.</exception>
    public static string Write(string runDirectory)
    {
        var results = SweepResults.Load(runDirectory);
        var figures = ReportFigures.For(results);
        var target = Path.Combine(runDirectory, FolderName);
        RemoveLeftovers(runDirectory);

        var staging = Path.Combine(runDirectory, StagingPrefix + Guid.NewGuid().ToString("N")[..12] + ".tmp");
        try
        {
            Directory.CreateDirectory(staging);
            foreach (var figure in figures)
                File.WriteAllBytes(Path.Combine(staging, figure.FileName), figure.Render());
            File.WriteAllText(Path.Combine(staging, IndexFile), ReportPage.Render(results, figures), new UTF8Encoding(false));
            Swap(staging, target);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new ReportException($"cannot write the report into '{target}': {error.Message}", error);
        }
        finally
        {
            TryDelete(staging);
        }
        return Path.Combine(target, IndexFile);
    }

    private static void Swap(string staging, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(staging, target);
            return;
        }
        var previous = staging[..^".tmp".Length] + ".old";
        Directory.Move(target, previous);
        try
        {
            Directory.Move(staging, target);
        }
        catch
        {
            Directory.Move(previous, target); // keep the old report rather than none
            throw;
        }
        TryDelete(previous);
    }

    /// <summary>
    /// Staging folders that a crashed run left behind. Only those older than an hour: a younger one may be
    /// another report being written into the same run folder right now.
    /// </summary>
    private static void RemoveLeftovers(string runDirectory)
    {
        foreach (var folder in Directory.EnumerateDirectories(runDirectory, StagingPrefix + "*"))
        {
            if (Directory.GetLastWriteTimeUtc(folder) < DateTime.UtcNow.AddHours(-1))
                TryDelete(folder);
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover folder is harmless: the next report removes it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
