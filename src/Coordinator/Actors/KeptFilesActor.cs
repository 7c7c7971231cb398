using Akka.Actor;
using GridSweep.Messages.Protocol;
using GridSweep.Runtime.Files;

namespace GridSweep.Coordinator.Actors;

/// <summary>
/// Writes the files trainers keep for finished trials (best weights and their description) into the run
/// folder's <c>models/</c>, piece by piece as they arrive, answering each piece so the next may come. A file
/// grows under a hidden partial name and takes its own name only when whole, flushed to disk; a transfer cut
/// off leaves at most that partial file, which the next attempt's transfer starts over. Its own actor, so the
/// sweep coordinator's mailbox never waits on this disk I/O.
/// </summary>
public sealed class KeptFilesActor : ReceiveActor
{
    private readonly string folder;

    public KeptFilesActor(string folder)
    {
        this.folder = folder;
        Receive<KeptFilePart>(part => Sender.Tell(Write(part)));
    }

    public static Props Props(string folder) => Akka.Actor.Props.Create(() => new KeptFilesActor(folder));

    /// <summary>A kept file's name: one of its trial's two (<see cref="KeptModelFiles"/>), and nothing that could leave the folder.</summary>
    public static bool IsKeptFileName(string trialId, string fileName) =>
        (fileName == KeptModelFiles.WeightsFileName(trialId) || fileName == KeptModelFiles.DescriptionFileName(trialId)) &&
        Path.GetFileName(fileName) == fileName && !fileName.StartsWith('.');

    private KeptFilePartReceived Write(KeptFilePart part)
    {
        if (!IsKeptFileName(part.TrialId, part.FileName))
            return Refuse(part, $"'{part.FileName}' is not a kept file name of trial {part.TrialId}");
        var partial = Path.Combine(folder, $".{part.FileName}.{part.Attempt}.partial");
        try
        {
            Directory.CreateDirectory(folder);
            using (var stream = new FileStream(partial, part.Offset == 0 ? FileMode.Create : FileMode.OpenOrCreate, FileAccess.Write, FileShare.None))
            {
                // A piece sent again (its answer was lost) overwrites itself; a gap means pieces were lost.
                if (stream.Length < part.Offset)
                    return Refuse(part, $"piece at byte {part.Offset} of {part.FileName} follows a gap (have {stream.Length} bytes); send it from the start");
                stream.SetLength(part.Offset);
                stream.Position = part.Offset;
                stream.Write(part.Bytes);
                if (part.Last)
                    stream.Flush(flushToDisk: true);
            }
            if (part.Last)
            {
                File.Move(partial, Path.Combine(folder, part.FileName), overwrite: true);
                AtomicFile.FlushFolder(folder);
            }
            return new KeptFilePartReceived(part.TrialId, part.Attempt, part.FileName, part.Offset + part.Bytes.Length);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return Refuse(part, $"{Path.Combine(folder, part.FileName)} cannot be written: {error.Message}");
        }
    }

    private static KeptFilePartReceived Refuse(KeptFilePart part, string error) =>
        new(part.TrialId, part.Attempt, part.FileName, part.Offset, error);
}
