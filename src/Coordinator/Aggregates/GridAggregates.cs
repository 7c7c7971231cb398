using GridSweep.Coordinator.Ledger;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Metrics;

namespace GridSweep.Coordinator.Aggregates;

/// <summary>
/// The grid's aggregates, kept from the results the coordinator sees and written to InfluxDB as they change
/// (<see cref="Schema"/>: <c>gridsweep_cell_epoch</c>, <c>gridsweep_cell</c>, <c>gridsweep_sweep</c>,
/// <c>gridsweep_trial_summary</c>, <c>gridsweep_axes_epoch</c>), so dashboards read O(cells x epochs) points, or one
/// series per line drawn, instead of every trial's raw epochs.
/// <para>
/// Exact through re-runs and resumes: each trial's current curve is held (four numbers per epoch), and a cell's
/// values at an epoch are computed again from its trials' curves whenever one of them changes, so a replaced or
/// truncated curve is never counted twice. A change only marks what it touches; <see cref="Drain"/> writes the
/// marked points later, each once however often it changed meanwhile, and at most as many as the writer's queue
/// takes, so a start with 100,000 queued trials streams instead of flooding it. Not thread-safe: one actor owns it.
/// </para>
/// </summary>
public sealed class GridAggregates
{
    /// <summary>Numbers kept per epoch: train loss, validation loss, train metric, validation metric (accuracy or MAE by task).</summary>
    public const int PerEpoch = 4;

    /// <summary>
    /// Value pairs past which a pair of axes gets no <c>gridsweep_axes_epoch</c> points: an overlay of more lines says
    /// nothing, and a 1,000 x 1,000 grid's pair would double the cells' points. Its overlay answers once a filter narrows it.
    /// </summary>
    public const int MaxGroupsPerPair = 10_000;

    private const string CoordinatorNode = "coordinator";

    private readonly TrialSpec[] trials;
    private readonly Dictionary<string, int> indexOf;
    private readonly int[] cellOf;
    private readonly int[][] cellTrials;
    private readonly int[] cellSweep;
    private readonly string[] sweeps;
    private readonly int[] sweepCells;
    private readonly int[][] sweepCounts; // per sweep: by TrialStatus, then stopped early

    private readonly TrialStatus[] status;
    private readonly int[] attempt;
    private readonly string[] node;
    private readonly TrialSummary?[] summary;
    private readonly double[]?[] curves;
    private readonly int[] epochsDone;
    // Changed since this coordinator started: what a resume's Load brings in later must not overwrite it.
    private readonly bool[] stateChanged;
    private readonly bool[] curveChanged;
    private readonly DateTimeOffset?[] queuedSince;

    private readonly DirtySet<int> dirtyTrials = new();
    private readonly DirtySet<int> dirtyCells = new();
    private readonly DirtySet<long> dirtyCellEpochs = new();
    private readonly DirtySet<int> dirtySweeps = new();
    private readonly DirtySet<int> queuedPoints = new();
    private readonly AxisPairAggregates axisPairs;
    private double[] scratch = new double[16];

    public GridAggregates(IReadOnlyList<TrialSpec> grid)
    {
        trials = [.. grid];
        indexOf = new Dictionary<string, int>(trials.Length);
        cellOf = new int[trials.Length];
        var cells = new Dictionary<string, int>();
        var members = new List<List<int>>();
        var sweepIndex = new Dictionary<string, int>();
        var cellSweeps = new List<int>();
        for (var i = 0; i < trials.Length; i++)
        {
            indexOf[trials[i].Id] = i;
            var key = CellKey(trials[i]);
            if (!cells.TryGetValue(key, out var cell))
            {
                cells[key] = cell = members.Count;
                members.Add([]);
                if (!sweepIndex.TryGetValue(trials[i].Sweep, out var s))
                    sweepIndex[trials[i].Sweep] = s = sweepIndex.Count;
                cellSweeps.Add(s);
            }
            cellOf[i] = cell;
            members[cell].Add(i);
        }
        cellTrials = [.. members.Select(m => m.ToArray())];
        cellSweep = [.. cellSweeps];
        sweeps = [.. sweepIndex.OrderBy(s => s.Value).Select(s => s.Key)];
        sweepCells = new int[sweeps.Length];
        foreach (var s in cellSweep)
            sweepCells[s]++;
        sweepCounts = [.. sweeps.Select(_ => new int[6])];

        status = new TrialStatus[trials.Length];
        attempt = new int[trials.Length];
        node = new string[trials.Length];
        summary = new TrialSummary?[trials.Length];
        curves = new double[]?[trials.Length];
        epochsDone = new int[trials.Length];
        stateChanged = new bool[trials.Length];
        curveChanged = new bool[trials.Length];
        queuedSince = new DateTimeOffset?[trials.Length];
        for (var i = 0; i < trials.Length; i++)
        {
            node[i] = CoordinatorNode;
            sweepCounts[cellSweep[cellOf[i]]][(int)TrialStatus.Queued]++;
        }
        axisPairs = new AxisPairAggregates([.. cellTrials.Select(m => trials[m[0]])], MaxGroupsPerPair, CellValuesAt);
    }

    public int Trials => trials.Length;

    public int Cells => cellTrials.Length;

    /// <summary>Points marked and not yet written.</summary>
    public int Pending => dirtyTrials.Count + dirtyCells.Count + dirtyCellEpochs.Count + dirtySweeps.Count + queuedPoints.Count + axisPairs.Pending;

    /// <summary>Pairs of axes (<c>model,learning_rate</c>) with more than <see cref="MaxGroupsPerPair"/> value pairs: not in <c>gridsweep_axes_epoch</c>.</summary>
    public IReadOnlyList<string> PairsLeftOut => axisPairs.Skipped;

    /// <summary>Trials that start queued: their <c>gridsweep_trial</c> queued point, stamped now, is written with the rest.</summary>
    public void QueuedAtStart(IEnumerable<string> trialIds, DateTimeOffset at)
    {
        foreach (var id in trialIds)
        {
            if (!indexOf.TryGetValue(id, out var i))
                continue;
            queuedSince[i] = at;
            queuedPoints.Add(i);
            SetState(i, TrialStatus.Queued, attempt[i], CoordinatorNode, null);
        }
    }

    /// <summary>Queued again (a lost trainer, a retry): its curve stays until the next attempt says where it begins.</summary>
    public void Queued(string trialId, int lastAttempt) => Change(trialId, TrialStatus.Queued, lastAttempt, CoordinatorNode, null);

    public void Running(string trialId, int attemptNumber, string nodeId) => Change(trialId, TrialStatus.Running, attemptNumber, nodeId, null);

    /// <summary>Completed, diverged or failed for good, with its summary.</summary>
    public void Ended(string trialId, TrialSummary trialSummary, int attemptNumber, string nodeId) =>
        Change(trialId, trialSummary.Status, attemptNumber, nodeId, trialSummary);

    private void Change(string trialId, TrialStatus next, int attemptNumber, string nodeId, TrialSummary? ended)
    {
        if (!indexOf.TryGetValue(trialId, out var i))
            return;
        stateChanged[i] = true;
        SetState(i, next, attemptNumber, nodeId, ended);
    }

    public void Epoch(string trialId, EpochMetrics metrics)
    {
        if (!indexOf.TryGetValue(trialId, out var i) || metrics.Epoch < 1)
            return;
        curveChanged[i] = true;
        var before = CellValuesAt(cellOf[i], metrics.Epoch);
        Store(i, metrics);
        epochsDone[i] = Math.Max(epochsDone[i], metrics.Epoch);
        axisPairs.Changed(cellOf[i], metrics.Epoch, before, CellValuesAt(cellOf[i], metrics.Epoch));
        dirtyCellEpochs.Add(CellEpochKey(cellOf[i], metrics.Epoch));
        dirtyCells.Add(cellOf[i]);
        dirtyTrials.Add(i);
    }

    /// <summary>The trial's curve becomes exactly <paramref name="epochs"/> (a resumed attempt's record, or a whole curve sent with its end).</summary>
    public void SetCurve(string trialId, IReadOnlyList<EpochMetrics> epochs)
    {
        if (!indexOf.TryGetValue(trialId, out var i))
            return;
        curveChanged[i] = true;
        var before = epochsDone[i];
        var last = Math.Max(before, epochs.Count == 0 ? 0 : epochs.Max(e => e.Epoch));
        var cellBefore = new CellEpochValues[last];
        for (var epoch = 1; epoch <= last; epoch++)
            cellBefore[epoch - 1] = CellValuesAt(cellOf[i], epoch);
        if (curves[i] is { } curve)
            Array.Fill(curve, double.NaN);
        epochsDone[i] = 0;
        foreach (var metrics in epochs)
        {
            if (metrics.Epoch < 1)
                continue;
            Store(i, metrics);
            epochsDone[i] = Math.Max(epochsDone[i], metrics.Epoch);
        }
        for (var epoch = 1; epoch <= Math.Max(before, epochsDone[i]); epoch++)
        {
            axisPairs.Changed(cellOf[i], epoch, cellBefore[epoch - 1], CellValuesAt(cellOf[i], epoch));
            dirtyCellEpochs.Add(CellEpochKey(cellOf[i], epoch));
        }
        dirtyCells.Add(cellOf[i]);
        dirtyTrials.Add(i);
    }

    /// <summary>
    /// What the ledger held when this coordinator started: ended trials with their summaries and every recorded curve.
    /// Trials that changed since (an adopted attempt that sent its curve) keep what they have; everything is written again.
    /// </summary>
    public void Load(RecordedResults recorded)
    {
        foreach (var (trialId, ended) in recorded.Ended)
        {
            if (indexOf.TryGetValue(trialId, out var i) && !stateChanged[i])
            {
                var (lastAttempt, nodeId) = recorded.Attempts.TryGetValue(trialId, out var given) ? given : (attempt[i], node[i]);
                SetState(i, ended.Status, lastAttempt, nodeId, ended);
            }
        }
        foreach (var (trialId, curve) in recorded.Curves)
        {
            if (!indexOf.TryGetValue(trialId, out var i) || curveChanged[i])
                continue;
            curves[i] = curve;
            epochsDone[i] = curve.Length / PerEpoch;
            while (epochsDone[i] > 0 && double.IsNaN(curve[(epochsDone[i] - 1) * PerEpoch]) && double.IsNaN(curve[(epochsDone[i] - 1) * PerEpoch + 1]))
                epochsDone[i]--;
        }
        for (var i = 0; i < trials.Length; i++)
            dirtyTrials.Add(i);
        for (var cell = 0; cell < cellTrials.Length; cell++)
        {
            dirtyCells.Add(cell);
            var last = cellTrials[cell].Max(t => epochsDone[t]);
            for (var epoch = 1; epoch <= last; epoch++)
                dirtyCellEpochs.Add(CellEpochKey(cell, epoch));
        }
        for (var s = 0; s < sweeps.Length; s++)
            dirtySweeps.Add(s);
        axisPairs.Rebuild(cell => cellTrials[cell].Max(t => epochsDone[t]));
    }

    /// <summary>
    /// Reads what <see cref="Load"/> takes, on the ledger's own thread: ended trials and every curve, each curve
    /// straight into the compact form kept here (no object per epoch), so 2,000,000 epochs load in one pass.
    /// </summary>
    public static RecordedResults Read(SweepLedger ledger, IReadOnlyDictionary<string, TrialSpec> grid,
        IReadOnlyDictionary<string, (int Attempt, string NodeId)> attempts)
    {
        var ended = ledger.EndedTrials(0).Where(t => grid.ContainsKey(t.TrialId)).Select(t => (t.TrialId, t.Summary)).ToList();
        var curves = new Dictionary<string, double[]>();
        foreach (var (trialId, metrics) in ledger.AllEpochs())
        {
            if (!grid.TryGetValue(trialId, out var trial) || metrics.Epoch < 1)
                continue;
            curves[trialId] = With(curves.GetValueOrDefault(trialId), metrics, trial);
        }
        return new RecordedResults(ended, curves, attempts);
    }

    /// <summary>
    /// Writes marked points to <paramref name="writer"/>, at most <paramref name="budget"/>: sweeps, cells, cells by
    /// epoch, then trials (each with its start's queued state if that is not written yet), then pairs of axes by epoch. Returns how many.
    /// </summary>
    public int Drain(MetricsWriter writer, int budget) =>
        Drain(writer.Write, (trial, since) => writer.TrialStateChanged(trial, TrialStatus.Queued, null, 0, CoordinatorNode, since), budget);

    /// <summary>As <see cref="Drain(MetricsWriter, int)"/>, to any sink: <paramref name="queued"/> takes a start's queued states.</summary>
    public int Drain(Action<GridPoint> write, Action<TrialSpec, DateTimeOffset> queued, int budget)
    {
        var written = 0;
        while (written < budget && dirtySweeps.TryTake(out var s))
        {
            write(SweepPointOf(s));
            written++;
        }
        while (written < budget && dirtyCells.TryTake(out var cell))
        {
            write(CellPointOf(cell));
            written++;
        }
        while (written < budget && dirtyCellEpochs.TryTake(out var key))
        {
            write(CellEpochPointOf((int)(key >> 24), (int)(key & 0xFF_FFFF)));
            written++;
        }
        while (written < budget && queuedPoints.TryTake(out var q))
        {
            if (queuedSince[q] is { } since)
                queued(trials[q], since);
            queuedSince[q] = null;
            written++;
        }
        while (written < budget && dirtyTrials.TryTake(out var i))
        {
            write(new TrialSummaryPoint(trials[i], status[i], attempt[i], node[i], summary[i], CurveOf(i)));
            written++;
        }
        // Last: every change touches 28 pairs of axes, so while the writer is busy their points wait, and a group
        // changed again meanwhile is written once.
        written += axisPairs.Drain(write, budget - written);
        return written;
    }

    /// <summary>A trial's curve so far: its best finite validation loss and epoch, the gap of its last finite epoch, its best metric.</summary>
    public CurveSummary CurveOf(string trialId) => indexOf.TryGetValue(trialId, out var i) ? CurveOf(i) : CurveSummary.None;

    /// <summary>The cell's point now (for tests and the bench: what <see cref="Drain"/> writes).</summary>
    public CellPoint CellOf(string trialId) => CellPointOf(cellOf[indexOf[trialId]]);

    public static double[] NewCurve(int epochs)
    {
        var curve = new double[epochs * PerEpoch];
        Array.Fill(curve, double.NaN);
        return curve;
    }

    private void SetState(int i, TrialStatus next, int attemptNumber, string nodeId, TrialSummary? ended)
    {
        var counts = sweepCounts[cellSweep[cellOf[i]]];
        counts[(int)status[i]]--;
        if (status[i] == TrialStatus.Completed && summary[i] is { StoppedEarly: true })
            counts[5]--;
        status[i] = next;
        attempt[i] = attemptNumber;
        node[i] = nodeId;
        summary[i] = ended;
        counts[(int)next]++;
        if (next == TrialStatus.Completed && ended is { StoppedEarly: true })
            counts[5]++;
        dirtyTrials.Add(i);
        dirtyCells.Add(cellOf[i]);
        dirtySweeps.Add(cellSweep[cellOf[i]]);
    }

    private void Store(int i, EpochMetrics metrics) => curves[i] = With(curves[i], metrics, trials[i]);

    /// <summary>The curve with the epoch's four numbers in place: the same array, or a longer one when the epoch lies past its end.</summary>
    private static double[] With(double[]? curve, EpochMetrics metrics, TrialSpec trial)
    {
        if (curve is null || curve.Length < metrics.Epoch * PerEpoch)
        {
            var grown = NewCurve(Math.Max(trial.Epochs, metrics.Epoch));
            curve?.CopyTo(grown, 0);
            curve = grown;
        }
        Write(curve, metrics, trial);
        return curve;
    }

    private static void Write(double[] curve, EpochMetrics metrics, TrialSpec trial)
    {
        var at = (metrics.Epoch - 1) * PerEpoch;
        var accuracy = Runtime.Trials.TrialLabels.MeasuresAccuracy(trial.Task);
        curve[at] = metrics.TrainLoss;
        curve[at + 1] = metrics.ValLoss;
        curve[at + 2] = accuracy ? metrics.TrainAccuracy : metrics.TrainMae;
        curve[at + 3] = accuracy ? metrics.ValAccuracy : metrics.ValMae;
    }

    private CurveSummary CurveOf(int i)
    {
        if (curves[i] is not { } curve || epochsDone[i] == 0)
            return CurveSummary.None with { Epochs = epochsDone[i] };
        var accuracy = Runtime.Trials.TrialLabels.MeasuresAccuracy(trials[i].Task);
        int bestEpoch = 0;
        double best = double.NaN, gap = double.NaN, bestMetric = double.NaN;
        for (var epoch = 1; epoch <= epochsDone[i]; epoch++)
        {
            var at = (epoch - 1) * PerEpoch;
            var (train, val, metric) = (curve[at], curve[at + 1], curve[at + 3]);
            if (double.IsFinite(val) && (bestEpoch == 0 || val < best))
                (bestEpoch, best) = (epoch, val);
            if (double.IsFinite(val) && double.IsFinite(train))
                gap = val - train;
            if (double.IsFinite(metric) && (double.IsNaN(bestMetric) || (accuracy ? metric > bestMetric : metric < bestMetric)))
                bestMetric = metric;
        }
        return new CurveSummary(epochsDone[i], bestEpoch, best, gap, accuracy ? bestMetric : double.NaN, accuracy ? double.NaN : bestMetric);
    }

    private CellEpochPoint CellEpochPointOf(int cell, int epoch)
    {
        var members = cellTrials[cell];
        var values = Scratch(members.Length);
        return new CellEpochPoint(trials[members[0]], epoch, SeedsAt(members, epoch),
            SpreadAt(members, epoch, values, 0), SpreadAt(members, epoch, values, 1), GapAt(members, epoch, values),
            SpreadAt(members, epoch, values, 2), SpreadAt(members, epoch, values, 3));
    }

    /// <summary>What the pairs of axes sum of a cell at an epoch: O(its seeds).</summary>
    private CellEpochValues CellValuesAt(int cell, int epoch)
    {
        var members = cellTrials[cell];
        var seeds = SeedsAt(members, epoch);
        if (seeds == 0)
            return CellEpochValues.None;
        var values = Scratch(members.Length);
        return new CellEpochValues(seeds, SpreadAt(members, epoch, values, 1), SpreadAt(members, epoch, values, 3));
    }

    /// <summary>Trials of the cell that have the epoch.</summary>
    private int SeedsAt(int[] members, int epoch)
    {
        var seeds = 0;
        foreach (var t in members)
            seeds += epochsDone[t] >= epoch && curves[t] is { } c && c.Length >= epoch * PerEpoch && !AllNaN(c, epoch) ? 1 : 0;
        return seeds;
    }

    private static bool AllNaN(double[] curve, int epoch)
    {
        var at = (epoch - 1) * PerEpoch;
        return double.IsNaN(curve[at]) && double.IsNaN(curve[at + 1]) && double.IsNaN(curve[at + 2]) && double.IsNaN(curve[at + 3]);
    }

    private Spread SpreadAt(int[] members, int epoch, Span<double> values, int field)
    {
        for (var k = 0; k < members.Length; k++)
            values[k] = Value(members[k], epoch, field);
        return Spread.Of(values);
    }

    private Spread GapAt(int[] members, int epoch, Span<double> values)
    {
        for (var k = 0; k < members.Length; k++)
            values[k] = Value(members[k], epoch, 1) - Value(members[k], epoch, 0);
        return Spread.Of(values);
    }

    private double Value(int trial, int epoch, int field) =>
        epochsDone[trial] >= epoch && curves[trial] is { } curve && curve.Length >= epoch * PerEpoch ? curve[(epoch - 1) * PerEpoch + field] : double.NaN;

    private CellPoint CellPointOf(int cell)
    {
        var members = cellTrials[cell];
        Span<int> counts = stackalloc int[6];
        int withCurve = 0, lastEpoch = 0;
        double best = 0, bestEpoch = 0, gap = 0, metric = 0;
        int gaps = 0, metrics = 0;
        foreach (var t in members)
        {
            counts[(int)status[t]]++;
            if (status[t] == TrialStatus.Completed && summary[t] is { StoppedEarly: true })
                counts[5]++;
            lastEpoch = Math.Max(lastEpoch, epochsDone[t]);
            var curve = CurveOf(t);
            if (curve.BestEpoch == 0)
                continue;
            withCurve++;
            best += curve.BestValLoss;
            bestEpoch += curve.BestEpoch;
            if (double.IsFinite(curve.FinalGap)) { gap += curve.FinalGap; gaps++; }
            var m = double.IsNaN(curve.BestValAccuracy) ? curve.BestValMae : curve.BestValAccuracy;
            if (double.IsFinite(m)) { metric += m; metrics++; }
        }
        // The mean curve's lowest point: the epoch where the seeds' mean validation loss is least.
        int meanBestEpoch = 0;
        double meanBest = double.NaN;
        var values = Scratch(members.Length);
        for (var epoch = 1; epoch <= lastEpoch; epoch++)
        {
            var spread = SpreadAt(members, epoch, values, 1);
            if (spread.Count > 0 && (meanBestEpoch == 0 || spread.Mean < meanBest))
                (meanBestEpoch, meanBest) = (epoch, spread.Mean);
        }
        var state = new StateCounts(counts[(int)TrialStatus.Queued], counts[(int)TrialStatus.Running], counts[(int)TrialStatus.Completed],
            counts[(int)TrialStatus.Failed], counts[(int)TrialStatus.Diverged], counts[5]);
        return new CellPoint(trials[members[0]], state, withCurve,
            withCurve == 0 ? double.NaN : best / withCurve,
            withCurve == 0 ? double.NaN : bestEpoch / withCurve,
            gaps == 0 ? double.NaN : gap / gaps,
            metrics == 0 ? double.NaN : metric / metrics,
            meanBestEpoch, meanBest);
    }

    private SweepPoint SweepPointOf(int s)
    {
        var c = sweepCounts[s];
        return new SweepPoint(sweeps[s], new StateCounts(c[(int)TrialStatus.Queued], c[(int)TrialStatus.Running], c[(int)TrialStatus.Completed],
            c[(int)TrialStatus.Failed], c[(int)TrialStatus.Diverged], c[5]), sweepCells[s]);
    }

    /// <summary>A reused buffer for one value per trial of a cell.</summary>
    private Span<double> Scratch(int length)
    {
        if (scratch.Length < length)
            scratch = new double[length * 2];
        return scratch.AsSpan(0, length);
    }

    private static long CellEpochKey(int cell, int epoch) => ((long)cell << 24) | (uint)epoch;

    /// <summary>Every label but the seed and the id: the trials of a cell differ only in their seed.</summary>
    private static string CellKey(TrialSpec trial) => string.Join('\u001f',
        trial.Sweep, trial.Model, trial.Regularizer, trial.Optimizer, Runtime.Trials.TrialLabels.LearningRate(trial), trial.Activation,
        trial.BatchSize, trial.Epochs, trial.EarlyStoppingLabel, trial.Task);
}

/// <summary>What a ledger held for the aggregates: ended trials' summaries and each recorded curve in <see cref="GridAggregates"/>' compact form.</summary>
/// <param name="Attempts">The last attempt given out of each trial and its node: who ran an ended trial.</param>
public sealed record RecordedResults(
    IReadOnlyList<(string TrialId, TrialSummary Summary)> Ended,
    IReadOnlyDictionary<string, double[]> Curves,
    IReadOnlyDictionary<string, (int Attempt, string NodeId)> Attempts);

/// <summary>A set that gives its members back in the order they were first added.</summary>
internal sealed class DirtySet<T> where T : notnull
{
    private readonly HashSet<T> members = [];
    private readonly Queue<T> order = new();

    public int Count => members.Count;

    public void Add(T item)
    {
        if (members.Add(item))
            order.Enqueue(item);
    }

    public bool TryTake(out T item)
    {
        if (order.TryDequeue(out item!))
        {
            members.Remove(item);
            return true;
        }
        return false;
    }
}
