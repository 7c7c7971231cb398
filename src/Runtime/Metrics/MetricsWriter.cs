using System.Diagnostics;
using System.Threading.Channels;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;

namespace GridSweep.Runtime.Metrics;

/// <summary>
/// The one InfluxDB writer of a process (see <see cref="Schema"/> for what it writes). The caller's methods
/// never wait: they put the point on a bounded in-memory queue and return. A background loop formats
/// batches (up to <see cref="MetricsWriterOptions.MaxBatchPoints"/> points or
/// <see cref="MetricsWriterOptions.FlushInterval"/>) and sends each with one awaited request.
/// <para>
/// Nothing is lost while InfluxDB is away: a batch that fails with a network error or a 5xx goes to the
/// on-disk <see cref="MetricsSpool"/>, and so does every later batch while the spool is not empty, so the
/// order of writes is kept (a re-run's points land after the abandoned attempt's and overwrite them).
/// The spool is replayed oldest first with backoff (<see cref="MetricsWriterOptions.RetryMin"/> doubling to
/// <see cref="MetricsWriterOptions.RetryMax"/>), at start-up too, so points spooled when a process stopped
/// are sent by the next one. A 401, 403 or 404 means the settings are wrong: the writer stops sending,
/// keeps every point spooled and says what to change (<see cref="LastError"/>, the warning callback).
/// A 400 (malformed or conflicting points) sets that one batch aside in the spool's <c>rejected/</c>.
/// </para>
/// </summary>
public sealed class MetricsWriter : IAsyncDisposable
{
    private readonly MetricsWriterOptions _options;
    private readonly Channel<MetricsPoint> _queue;
    private readonly IInfluxTransport _transport;
    private readonly MetricsSpool _spool;
    private readonly CancellationTokenSource _disposeDeadline = new();
    private readonly long _startupPoints;
    private readonly Task _loop;

    // Read by any thread.
    private long _accepted;
    private long _resolved;
    private long _written;
    private long _dropped;
    private long _queueDropped;
    private long _setAside;
    private long _spooledPoints;
    private long _lastWallClock;
    private volatile string? _lastError;
    private volatile bool _halted;
    private volatile bool _disposing;
    private int _disposed;

    // The loop's own.
    private TimeSpan _backoff;
    private long _nextAttempt;
    private bool _giveUp;
    private bool _recovering;
    private long _lastBacklogWarning;
    private long _reportedQueueDropped;

    public MetricsWriter(InfluxSettings settings, MetricsWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        _options = options ?? new MetricsWriterOptions();
        if (_options.MaxBatchPoints <= 0 || _options.QueueCapacity <= 0)
            throw new ArgumentException("MaxBatchPoints and QueueCapacity must be positive", nameof(options));
        _spool = new MetricsSpool(settings.SpoolDirectory, settings.SpoolMaxBytes);
        try
        {
            _transport = IInfluxTransport.Create(settings, _options.RequestTimeout);
        }
        catch
        {
            _spool.Dispose();
            throw;
        }
        _startupPoints = _spool.Points;
        _spooledPoints = _spool.Points;
        _queue = Channel.CreateBounded<MetricsPoint>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: refuse instead of waiting
            SingleReader = true,
            SingleWriter = false,
        });
        _loop = Task.Run(RunAsync);
    }

    public InfluxSettings Settings { get; }

    /// <summary>Points accepted (this run and, spooled, earlier runs) and not yet written, dropped or set aside.</summary>
    public long PendingPoints => _startupPoints + Interlocked.Read(ref _accepted) - Interlocked.Read(ref _resolved);

    /// <summary>Points waiting in the on-disk spool.</summary>
    public long SpooledPoints => Interlocked.Read(ref _spooledPoints);

    /// <summary>Points InfluxDB has acknowledged.</summary>
    public long WrittenPoints => Interlocked.Read(ref _written);

    /// <summary>Points lost: the oldest of a full spool, or refused by a full in-memory queue.</summary>
    public long DroppedPoints => Interlocked.Read(ref _dropped) + Interlocked.Read(ref _queueDropped);

    /// <summary>Points of batches InfluxDB refused as malformed (400), kept in the spool's <c>rejected/</c>.</summary>
    public long SetAsidePoints => Interlocked.Read(ref _setAside);

    /// <summary>The last failure, saying what to change when InfluxDB refused the settings; null once writes succeed.</summary>
    public string? LastError => _lastError;

    /// <summary>True after a 401, 403 or 404: nothing more is sent by this writer; points stay spooled for a writer with corrected settings.</summary>
    public bool IsRejected => _halted;

    /// <summary>One finished epoch of a trial: a <c>gridsweep_epoch</c> point at the epoch's fixed time.</summary>
    public void EpochCompleted(TrialSpec trial, EpochMetrics metrics, string node, double samplesPerSecond)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(node);
        Enqueue(MetricsPoint.Epoch(trial, metrics, node, samplesPerSecond));
    }

    /// <summary>A trial changed state: a <c>gridsweep_trial</c> point now; <paramref name="summary"/> when known (completed, failed, diverged).</summary>
    public void TrialStateChanged(TrialSpec trial, TrialStatus status, TrialSummary? summary, int attempt, string node)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(node);
        Enqueue(MetricsPoint.Trial(trial, status, summary, attempt, node, NextWallClock()));
    }

    /// <summary>A trial's state change that happened at <paramref name="at"/>, written later (the coordinator streams its start's states).</summary>
    public void TrialStateChanged(TrialSpec trial, TrialStatus status, TrialSummary? summary, int attempt, string node, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(node);
        Enqueue(MetricsPoint.Trial(trial, status, summary, attempt, node, (at.UtcTicks - DateTime.UnixEpoch.Ticks) * 100));
    }

    /// <summary>A point of the grid's aggregates (<see cref="GridPoint"/>), formatted on the writer's loop.</summary>
    public void Write(GridPoint point)
    {
        ArgumentNullException.ThrowIfNull(point);
        Enqueue(MetricsPoint.Grid(point));
    }

    /// <summary>
    /// Points the in-memory queue takes now before it refuses: a producer with many points to write (the coordinator's
    /// aggregates, its start's queued states) writes at most this many at a time, so it never floods the queue.
    /// </summary>
    public int QueueRoom => Math.Max(0, _options.QueueCapacity - _queue.Reader.Count);

    /// <summary>A trainer node's heartbeat: a <c>gridsweep_node</c> point now.</summary>
    public void NodeHeartbeat(string node, string device, int slots, int busySlots, double epochsPerMinute, double samplesPerSecond)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(device);
        Enqueue(MetricsPoint.Node(node, device, slots, busySlots, epochsPerMinute, samplesPerSecond, NextWallClock()));
    }

    /// <summary>The coordinator's judgement of a trainer node changed (<see cref="Schema"/>, <c>gridsweep_node</c>): a point now.</summary>
    public void NodeStanding(string node, string device, string standing, bool quarantined, int failureStreak, TimeSpan quarantine, string reason)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(standing);
        ArgumentNullException.ThrowIfNull(reason);
        Enqueue(MetricsPoint.NodeStanding(node, device, standing, quarantined, failureStreak, quarantine.TotalSeconds, reason, NextWallClock()));
    }

    /// <summary>
    /// Checks the settings against the server: reachable, credentials accepted, bucket or database there,
    /// retention infinite (see <see cref="Schema"/>). Meant for start-up, so a mistake stops the node at once.
    /// </summary>
    /// <exception cref="InfluxSetupException">What is wrong, naming the URL and the bucket or database.</exception>
    public Task CheckAsync(CancellationToken cancellationToken = default) => _transport.CheckAsync(cancellationToken);

    /// <summary>
    /// Sends what is queued now, retrying a spooled backlog at once, and waits until every point accepted
    /// before the call is written (or dropped or set aside). False when that did not happen within
    /// <paramref name="timeout"/> or InfluxDB rejected the settings.
    /// </summary>
    public async Task<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var target = _startupPoints + Interlocked.Read(ref _accepted);
        _queue.Writer.TryWrite(MetricsPoint.FlushMarker);
        var started = Stopwatch.GetTimestamp();
        while (Interlocked.Read(ref _resolved) < target)
        {
            if (_halted || _loop.IsCompleted || Stopwatch.GetElapsedTime(started) >= timeout)
                return false;
            await Task.Delay(5, cancellationToken);
        }
        return true;
    }

    /// <summary>
    /// Sends what is left within <see cref="MetricsWriterOptions.DisposeTimeout"/> and stops. If InfluxDB is
    /// unreachable the rest goes to the spool at once, for the next start to send.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _disposing = true;
        _queue.Writer.TryComplete();
        _disposeDeadline.CancelAfter(_options.DisposeTimeout);
        try
        {
            await _loop;
        }
        finally
        {
            _transport.Dispose();
            _spool.Dispose();
            _disposeDeadline.Dispose();
        }
    }

    private void Enqueue(MetricsPoint point)
    {
        if (_queue.Writer.TryWrite(point))
            Interlocked.Increment(ref _accepted);
        else
            Interlocked.Increment(ref _queueDropped); // reported by the loop, off the caller's thread
    }

    /// <summary>Now in Unix nanoseconds, strictly increasing per writer so two state changes never share a timestamp (which would overwrite).</summary>
    private long NextWallClock()
    {
        var now = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        while (true)
        {
            var last = Interlocked.Read(ref _lastWallClock);
            var next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref _lastWallClock, next, last) == last)
                return next;
        }
    }

    private async Task RunAsync()
    {
        var lines = new LineProtocolBuffer();
        if (_startupPoints > 0)
            Warn($"{_startupPoints:N0} points of an earlier run wait in {_spool.Directory}; sending them to InfluxDB at {Settings.Url}");
        var open = true;
        while (open)
        {
            try
            {
                int points;
                (open, points) = await CollectAsync(lines);
                if (points > 0)
                    await DeliverAsync(lines.Written, points);
                lines.Clear();
                await ReplayAsync();
                ReportQueueDrops();
            }
            catch (Exception e)
            {
                // A failing disk or a bug must not end metrics for the rest of the run.
                lines.Clear();
                _lastError = $"metrics writer: {e.GetType().Name}: {e.Message}";
                Warn(_lastError);
                await Task.Delay(_options.RetryMin);
            }
        }
    }

    /// <summary>Formats queued points into <paramref name="lines"/> until the batch is full, its time is up or a flush asks; open is false once disposed and drained.</summary>
    private async Task<(bool Open, int Points)> CollectAsync(LineProtocolBuffer lines)
    {
        var reader = _queue.Reader;
        var points = 0;
        var batchStarted = 0L;
        while (true)
        {
            while (points < _options.MaxBatchPoints && reader.TryRead(out var point))
            {
                if (point.Kind == PointKind.Flush)
                {
                    _nextAttempt = 0; // a flush retries the backlog now
                    if (points > 0 || !_spool.IsEmpty)
                        return (true, points);
                    continue;
                }
                try
                {
                    point.WriteTo(lines);
                    if (points++ == 0)
                        batchStarted = Stopwatch.GetTimestamp();
                }
                catch (Exception e) when (e is InvalidOperationException or InvalidCastException or ArgumentException)
                {
                    lines.Abandon();
                    Resolve(ref _dropped, 1);
                    Warn($"metrics writer: dropped a point that cannot be written: {e.Message}");
                }
            }
            if (points >= _options.MaxBatchPoints)
                return (true, points);

            TimeSpan wait;
            if (points > 0)
                wait = _options.FlushInterval - Stopwatch.GetElapsedTime(batchStarted);
            else if (!_spool.IsEmpty && !_halted && !_giveUp)
                wait = TimeSpan.FromTicks(Math.Max(0, _nextAttempt - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
            else
                wait = Timeout.InfiniteTimeSpan;
            if (wait != Timeout.InfiniteTimeSpan && wait <= TimeSpan.Zero)
                return (true, points);
            if (!await WaitToReadAsync(wait))
                return (false, points);
        }
    }

    /// <summary>False when the queue is completed and empty; true when a point came or the wait ran out.</summary>
    private async ValueTask<bool> WaitToReadAsync(TimeSpan wait)
    {
        if (wait == Timeout.InfiniteTimeSpan)
            return await _queue.Reader.WaitToReadAsync();
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            return await _queue.Reader.WaitToReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    /// <summary>A fresh batch: straight to InfluxDB when nothing waits before it, else behind the spooled ones.</summary>
    private async Task DeliverAsync(ReadOnlyMemory<byte> batch, int points)
    {
        if (_halted || _giveUp || !_spool.IsEmpty || Stopwatch.GetTimestamp() < _nextAttempt)
        {
            Spool(batch.Span, points);
            return;
        }
        var failure = await TryWriteAsync(batch);
        if (failure is null)
        {
            Resolve(ref _written, points);
            return;
        }
        if (failure.Failure == WriteFailure.BadBatch)
        {
            var kept = Keep(() => _spool.SetAside(batch.Span, points));
            SetAside(failure, points, kept);
            return;
        }
        Spool(batch.Span, points);
        OnFailure(failure);
    }

    /// <summary>Sends spooled batches oldest first while InfluxDB takes them, yielding to a full batch waiting in memory.</summary>
    private async Task ReplayAsync()
    {
        while (!_halted && !_giveUp && Stopwatch.GetTimestamp() >= _nextAttempt && _spool.TryPeek(out var entry))
        {
            var batch = _spool.Read(entry);
            if (batch is null)
            {
                Resolve(ref _dropped, entry.Points);
                Warn($"metrics spool: {entry.Path} could not be read; its {entry.Points:N0} points are lost");
                SyncSpooled();
                continue;
            }
            var failure = await TryWriteAsync(batch);
            if (failure is null)
            {
                _spool.Remove(entry);
                SyncSpooled();
                Resolve(ref _written, entry.Points);
            }
            else if (failure.Failure == WriteFailure.BadBatch)
            {
                var kept = Keep(() => _spool.SetAside(entry));
                if (_spool.TryPeek(out var head) && head == entry)
                    _spool.Remove(entry); // could not be moved: never block the backlog behind it
                SyncSpooled();
                SetAside(failure, entry.Points, kept);
            }
            else
            {
                OnFailure(failure);
                return;
            }
            if (_queue.Reader.Count >= _options.MaxBatchPoints)
                return;
        }
        if (_recovering && _spool.IsEmpty)
        {
            _recovering = false;
            Warn($"InfluxDB at {Settings.Url} took the whole backlog; nothing pending in {_spool.Directory}");
        }
    }

    /// <summary>Null on success. Also resets the backoff then, and clears the last error.</summary>
    private async Task<InfluxWriteException?> TryWriteAsync(ReadOnlyMemory<byte> batch)
    {
        try
        {
            await _transport.WriteAsync(batch, _disposeDeadline.Token);
            _backoff = TimeSpan.Zero;
            _nextAttempt = 0;
            _lastError = null;
            return null;
        }
        catch (InfluxWriteException e)
        {
            return e;
        }
        catch (OperationCanceledException) when (_disposeDeadline.IsCancellationRequested)
        {
            return new InfluxWriteException(WriteFailure.Transient, $"InfluxDB at {Settings.Url} did not take the batch before the writer's dispose timeout");
        }
    }

    private void OnFailure(InfluxWriteException failure)
    {
        if (failure.Failure == WriteFailure.Rejected)
        {
            _halted = true;
            _lastError = $"{failure.Message}. {PendingPoints:N0} points stay spooled in {_spool.Directory} and are sent when a writer starts with corrected settings";
            Warn(_lastError);
            return;
        }
        if (_disposing)
        {
            // Shutting down: no more tries; what is left stays spooled for the next start.
            _giveUp = true;
            _lastError = failure.Message;
            Warn($"{failure.Message}; {PendingPoints:N0} points stay spooled in {_spool.Directory} for the next start");
            return;
        }
        _backoff = _backoff == TimeSpan.Zero
            ? _options.RetryMin
            : TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, _options.RetryMax.Ticks));
        _nextAttempt = Stopwatch.GetTimestamp() + (long)(_backoff.TotalSeconds * Stopwatch.Frequency);
        _lastError = failure.Message;
        if (!_recovering || Stopwatch.GetElapsedTime(_lastBacklogWarning) >= _options.WarningInterval)
        {
            _recovering = true;
            _lastBacklogWarning = Stopwatch.GetTimestamp();
            Warn($"{failure.Message}; {PendingPoints:N0} points pending, {SpooledPoints:N0} spooled in {_spool.Directory}; retrying in {_backoff.TotalSeconds:0.#} s");
        }
    }

    private void SetAside(InfluxWriteException failure, int points, string kept)
    {
        Resolve(ref _setAside, points);
        _lastError = $"{failure.Message}; the batch ({points:N0} points) {kept}";
        Warn(_lastError);
    }

    /// <summary>Where a refused batch was kept, or why it could not be.</summary>
    private static string Keep(Func<string> setAside)
    {
        try
        {
            return $"is kept in {setAside()}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"could not be kept ({e.Message})";
        }
    }

    private void Spool(ReadOnlySpan<byte> batch, int points)
    {
        int dropped;
        try
        {
            dropped = _spool.Append(batch, points);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Resolve(ref _dropped, points);
            _lastError = $"metrics spool {_spool.Directory}: cannot write ({e.Message}); {points:N0} points lost";
            Warn(_lastError);
            return;
        }
        SyncSpooled();
        if (dropped > 0)
        {
            Resolve(ref _dropped, dropped);
            Warn($"METRICS SPOOL FULL: {_spool.Directory} holds {_spool.Bytes:N0} of {_spool.MaxBytes:N0} bytes; dropped the oldest {dropped:N0} points " +
                $"({DroppedPoints:N0} lost so far) while InfluxDB at {Settings.Url} is not taking writes{(_lastError is null ? "" : $" ({_lastError})")}");
        }
    }

    private void ReportQueueDrops()
    {
        var dropped = Interlocked.Read(ref _queueDropped);
        if (dropped == _reportedQueueDropped)
            return;
        Warn($"METRICS QUEUE FULL: {dropped - _reportedQueueDropped:N0} points dropped ({QueueDroppedNote()}); the in-memory queue holds {_options.QueueCapacity:N0}");
        _reportedQueueDropped = dropped;
    }

    private string QueueDroppedNote() => _disposing ? "sent after the writer was disposed" : "the spool's disk is not keeping up";

    private void Resolve(ref long counter, long points)
    {
        Interlocked.Add(ref counter, points);
        Interlocked.Add(ref _resolved, points);
    }

    private void SyncSpooled() => Interlocked.Exchange(ref _spooledPoints, _spool.Points);

    private void Warn(string message)
    {
        try
        {
            _options.Warning?.Invoke(message);
        }
        catch (Exception)
        {
            // A host's failing handler must not stop the writer.
        }
    }
}
