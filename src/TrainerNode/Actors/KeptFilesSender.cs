using Akka.Actor;
using GridSweep.Messages.Protocol;
using GridSweep.Runtime.Files;

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
    private readonly (string Name, byte[] Bytes)[] files;
    private readonly Sent done;
    private int file;
    private long offset;
    private KeptFilePart? piece;
    private int resends;

    public KeptFilesSender(IActorRef coordinator, int attempt, KeptModelFiles kept, int slot, int run)
    {
        this.coordinator = coordinator;
        trialId = kept.TrialId;
        this.attempt = attempt;
        files = [(KeptModelFiles.WeightsFileName(trialId), kept.Weights), (KeptModelFiles.DescriptionFileName(trialId), kept.Description)];
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

    public static Props Props(IActorRef coordinator, int attempt, KeptModelFiles kept, int slot, int run) =>
        Akka.Actor.Props.Create(() => new KeptFilesSender(coordinator, attempt, kept, slot, run));

    protected override void PreStart() => SendNextPiece();

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
        SendNextPiece();
    }

    private void SendNextPiece()
    {
        if (file == files.Length)
        {
            Finish(null);
            return;
        }
        var (name, content) = files[file];
        var bytes = content.AsSpan((int)offset, (int)Math.Min(KeptFilePart.MaxBytes, content.Length - offset)).ToArray();
        piece = new KeptFilePart(trialId, attempt, name, offset, bytes, Last: offset + bytes.Length == content.Length);
        SendPiece();
    }

    /// <summary>Sends the current piece (again, after a timeout) and waits for its answer.</summary>
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
