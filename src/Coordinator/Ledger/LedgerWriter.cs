using System.Threading.Channels;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Files;

namespace GridSweep.Coordinator.Ledger;

/// <summary>
/// Writes the ledger off the coordinator's thread: records are queued (never blocking the caller), a thread of its own
/// takes whatever has queued up and writes it as one transaction, in order, then lets the exports catch up when trials
/// ended. A batch that fails (a database restarting, a lock) is retried whole until it lands: writes are
/// idempotent, and nothing queued is dropped. <see cref="WaitAsync"/> completes once everything queued before it is
/// written and exported: acknowledgements come in the order the records were queued.
/// A full disk is the exception: waiting would only grow the queue in memory, so the writer stops, leaving the ledger
/// as its last transaction left it, and says so through <see cref="Stopped"/>; the coordinator then ends the sweep.
/// </summary>
public sealed class LedgerWriter : IDisposable
{
    private abstract record Record;

    private sealed record Epoch(string TrialId, EpochMetrics Metrics) : Record;

    private sealed record Truncate(string TrialId, int LastEpoch) : Record;

    private sealed record End(string TrialId, long Seq, IReadOnlyDictionary<string, string> Labels, TrialSummary Summary) : Record;

    private sealed record Barrier(TaskCompletionSource Written) : Record;

    private sealed record SweepText(string Column, string? Value) : Record;

    private sealed record Attempt(string TrialId, int Number, string NodeId) : Record;

    private sealed record Failure(string TrialId, int Attempt, string NodeId, string Reason, bool Excused) : Record;

    private sealed record Read(Action<SweepLedger> Run, Action<Exception> Fail) : Record;

    /// <summary>How many records one transaction takes at most: large enough to amortise the commit's fsync.</summary>
    private const int MaxBatch = 5_000;

    private readonly SweepLedger ledger;
    private readonly Action<SweepLedger> afterEnds;
    private readonly Action<string> warn;
    private readonly Channel<Record> queue = Channel.CreateUnbounded<Record>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread thread;
    private readonly TaskCompletionSource<Exception> stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool stopping;
    private Exception? fault;

    /// <param name="afterEnds">Runs on the writer's thread after a batch in which trials ended (the exports' catch-up).</param>
    /// <param name="warn">Told, once per failing stretch, that writes fail and are retried.</param>
    public LedgerWriter(SweepLedger ledger, Action<SweepLedger> afterEnds, Action<string> warn)
    {
        this.ledger = ledger;
        this.afterEnds = afterEnds;
        this.warn = warn;
        thread = new Thread(Run) { IsBackground = true, Name = "gridsweep-ledger" };
        thread.Start();
    }

    /// <summary>Completes with the error when the writer stopped before it was disposed (a full disk); then nothing more is written.</summary>
    public Task<Exception> Stopped => stopped.Task;

    public void RecordEpoch(string trialId, EpochMetrics metrics) => Enqueue(new Epoch(trialId, metrics));

    public void TruncateTrial(string trialId, int lastEpoch) => Enqueue(new Truncate(trialId, lastEpoch));

    public void EndTrial(string trialId, long seq, IReadOnlyDictionary<string, string> labels, TrialSummary summary) =>
        Enqueue(new End(trialId, seq, labels, summary));

    public void SetSweepText(string column, string? value) => Enqueue(new SweepText(column, value));

    public void RecordAttempt(string trialId, int attempt, string nodeId) => Enqueue(new Attempt(trialId, attempt, nodeId));

    public void RecordFailure(string trialId, int attempt, string nodeId, string reason, bool excused) =>
        Enqueue(new Failure(trialId, attempt, nodeId, reason, excused));

    /// <summary>Completes when everything queued so far is in the ledger and the exports.</summary>
    public Task WaitAsync()
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (fault is not null)
            written.SetException(fault);
        else
            Enqueue(new Barrier(written));
        return written.Task;
    }

    /// <summary>Reads the ledger on the writer's thread, after everything queued before it is written.</summary>
    public Task<T> ReadAsync<T>(Func<SweepLedger, T> read)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (fault is not null)
            result.SetException(fault);
        else
            Enqueue(new Read(ledger => result.TrySetResult(read(ledger)), error => result.TrySetException(error)));
        return result.Task;
    }

    private void Enqueue(Record record)
    {
        if (!queue.Writer.TryWrite(record))
            throw new ObjectDisposedException(nameof(LedgerWriter), "the ledger is closed");
    }

    private void Run()
    {
        var batch = new List<Record>();
        try
        {
            while (queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (batch.Count < MaxBatch && queue.Reader.TryRead(out var record))
                    batch.Add(record);
                Retrying(() => ledger.InTransaction(() => Write(batch)));
                if (batch.Any(r => r is End))
                    Retrying(() => afterEnds(ledger));
                foreach (var read in batch.OfType<Read>())
                {
                    try
                    {
                        read.Run(ledger);
                    }
                    catch (Exception error)
                    {
                        read.Fail(error);
                    }
                }
                foreach (var barrier in batch.OfType<Barrier>())
                    barrier.Written.TrySetResult();
                batch.Clear();
            }
        }
        catch (Exception error)
        {
            fault = error;
            stopped.TrySetResult(error);
            while (queue.Reader.TryRead(out var record))
                batch.Add(record);
            foreach (var record in batch)
            {
                if (record is Barrier barrier)
                    barrier.Written.TrySetException(error);
                else if (record is Read read)
                    read.Fail(error);
            }
        }
    }

    private void Write(List<Record> batch)
    {
        foreach (var record in batch)
        {
            switch (record)
            {
                case Epoch epoch:
                    ledger.RecordEpoch(epoch.TrialId, epoch.Metrics);
                    break;
                case Truncate truncate:
                    ledger.TruncateTrial(truncate.TrialId, truncate.LastEpoch);
                    break;
                case End end:
                    ledger.EndTrial(end.TrialId, end.Seq, end.Labels, end.Summary);
                    break;
                case Attempt attempt:
                    ledger.RecordAttempt(attempt.TrialId, attempt.Number, attempt.NodeId);
                    break;
                case Failure failure:
                    ledger.RecordFailure(failure.TrialId, failure.Attempt, failure.NodeId, failure.Reason, failure.Excused);
                    break;
                case SweepText text:
                    ledger.SetSweepText(text.Column, text.Value);
                    break;
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> until it succeeds, waiting longer after each failure (up to 10 s). While closing,
    /// it gives up after a minute of failures: what the ledger holds is whole, the rest is lost with the process anyway.
    /// </summary>
    private void Retrying(Action write)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        DateTime? failingSince = null;
        while (true)
        {
            try
            {
                write();
                if (failingSince is not null)
                    warn("ledger writes succeed again");
                return;
            }
            catch (Exception error) when (error is not OutOfMemoryException && !StorageFullException.Is(error))
            {
                if (failingSince is null)
                {
                    failingSince = DateTime.UtcNow;
                    warn($"cannot write the ledger ({error.GetType().Name}: {error.Message}); retrying, nothing is dropped");
                }
                if (stopping && DateTime.UtcNow - failingSince > TimeSpan.FromMinutes(1))
                    throw;
                Thread.Sleep(delay);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    /// <summary>Writes what is queued, then stops the thread.</summary>
    public void Dispose()
    {
        stopping = true;
        queue.Writer.TryComplete();
        thread.Join();
    }
}
