using Akka.Actor;
using GridSweep.Messages.Protocol;

namespace GridSweep.TrainerNode.Actors;

/// <summary>
/// Sends the files kept for a finished trial to the coordinator's run folder, one piece at a time, each after
/// the previous one was written there: a model of tens of megabytes never floods the connection that also
/// carries the cluster's heartbeats, and works the same on one machine or across a network, with or without
/// shared storage. A piece without an answer is sent again (the coordinator writes it idempotently); the
/// parent hears <see cref="Sent"/> once, with the error if the files could not be delivered.
/// </summary>
internal sealed class KeptFilesSender : ReceiveActor, IWithTimers
{
    public sealed record Sent(int Slot, int Run, string? Error);

    private sealed class AnswerTimeout
    {
        public static readonly AnswerTimeout Instance = new();
    }

    private const int MaxResends = 3;
    private static readonly TimeSpan AnswerWait = TimeSpan.FromSeconds(30);

    private readonly IActorRef coordinator;
    private readonly string trialId;
    private readonly int attempt;
    private readonly IReadOnlyList<string> files;
    private readonly Sent done;
    private int file;
    private long offset;
    private KeptFilePart? piece;
    private int resends;

    public KeptFilesSender(IActorRef coordinator, string trialId, int attempt, IReadOnlyList<string> files, int slot, int run)
    {
        this.coordinator = coordinator;
        this.trialId = trialId;
        this.attempt = attempt;
        this.files = files;
        done = new Sent(slot, run, null);
        Receive<KeptFilePartReceived>(Answered);
        Receive<AnswerTimeout>(_ =>
        {
            if (++resends > MaxResends)
                Finish($"the coordinator did not answer for {MaxResends * AnswerWait.TotalSeconds:F0} s");
            else
                SendPiece();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef coordinator, string trialId, int attempt, IReadOnlyList<string> files, int slot, int run) =>
        Akka.Actor.Props.Create(() => new KeptFilesSender(coordinator, trialId, attempt, files, slot, run));

    protected override void PreStart() => ReadAndSend();

    private void Answered(KeptFilePartReceived answer)
    {
        if (piece is null || answer.TrialId != trialId || answer.Attempt != attempt || answer.FileName != piece.FileName)
            return;
        if (answer.Error is not null)
        {
            Finish($"the coordinator could not take {piece.FileName}: {answer.Error}");
            return;
        }
        if (answer.NextOffset != piece.Offset + piece.Bytes.Length)
            return; // The answer to an earlier sending of a piece.
        resends = 0;
        offset = answer.NextOffset;
        if (piece.Last)
        {
            file++;
            offset = 0;
        }
        ReadAndSend();
    }

    private void ReadAndSend()
    {
        if (file == files.Count)
        {
            Finish(null);
            return;
        }
        var path = files[file];
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            stream.Position = offset;
            var bytes = new byte[(int)Math.Min(KeptFilePart.MaxBytes, stream.Length - offset)];
            stream.ReadExactly(bytes);
            piece = new KeptFilePart(trialId, attempt, Path.GetFileName(path), offset, bytes, Last: offset + bytes.Length == stream.Length);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Finish($"{path} cannot be read: {error.Message}");
            return;
        }
        SendPiece();
    }

    private void SendPiece()
    {
        coordinator.Tell(piece);
        Timers.StartSingleTimer("answer", AnswerTimeout.Instance, AnswerWait);
    }

    private void Finish(string? error)
    {
        Timers.CancelAll();
        Context.Parent.Tell(done with { Error = error });
        Context.Stop(Self);
    }
}
