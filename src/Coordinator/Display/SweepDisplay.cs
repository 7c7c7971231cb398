using System.Globalization;
using GridSweep.Coordinator.Results;
using GridSweep.Coordinator.Actors;
using GridSweep.Coordinator.Sweeps;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Progress;
using Spectre.Console;

namespace GridSweep.Coordinator.Display;

/// <summary>
/// The console side of a run: live progress bars on a terminal, one plain line per event when the output
/// is redirected (CI logs, <c>tee</c>) or <c>--plain</c> is given.
/// </summary>
public abstract class SweepDisplay
{
    private Func<TrialSpec, string> cell = trial => $"{trial.Model}/{trial.Regularizer}";

    /// <param name="trials">The sweep's trials: the axes on which they differ beside model and regularizer
    /// (optimizer and learning rate, activation, batch size, epochs, early stopping) are added to every trial's label.</param>
    public static SweepDisplay Create(bool plain, IReadOnlyList<TrialSpec> trials)
    {
        SweepDisplay display;
        if (!plain && AnsiConsole.Profile.Capabilities.Interactive && !System.Console.IsOutputRedirected)
        {
            display = new LiveDisplay();
        }
        else
        {
            // Logs have no width; Spectre would assume 80 columns and fold the summary table.
            AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);
            display = new PlainDisplay();
        }
        display.cell = CellLabel(trials);
        return display;
    }

    /// <summary>
    /// <c>model/regularizer</c>, then the labels of the other axes that the sweep varies, so two trials of one
    /// model and regularizer that differ only in learning rate never read alike: <c>bigger/none/adam-lr0.01/tanh/batch 32</c>.
    /// </summary>
    internal static Func<TrialSpec, string> CellLabel(IReadOnlyList<TrialSpec> trials)
    {
        var varying = SweptAxes.Varying(trials, ("optimizer", t => t.Optimizer), ("activation", t => t.Activation),
            ("batch size", t => $"batch {t.BatchSize.ToString(CultureInfo.InvariantCulture)}"),
            ("epochs", t => $"{t.Epochs.ToString(CultureInfo.InvariantCulture)} epochs"),
            ("early stopping", t => $"early stopping {t.EarlyStoppingLabel}"));
        return varying.Count == 0
            ? trial => $"{trial.Model}/{trial.Regularizer}"
            : trial => string.Join('/', varying.Select(axis => axis.Label(trial)).Prepend(trial.Regularizer).Prepend(trial.Model));
    }

    public void Note(string markup) => AnsiConsole.MarkupLine(markup);

    public abstract Task<T> LoadDataAsync<T>(Func<IProgress<DataProgress>, Task<T>> load);

    public abstract T Track<T>(Func<ISweepObserver, T> work);

    /// <summary>"ledger: SQLite runs/x/ledger.db; 12 trials finished before", what the grid gained and lost, attempts still out.</summary>
    public static IEnumerable<string> DescribeLedger(string ledger, GridChange? change, int finished, int stillOut)
    {
        yield return $"ledger: {ledger}; {finished} trial(s) finished before";
        if (change is not null)
        {
            static string Some(IReadOnlyList<string> ids) => string.Join(", ", ids.Take(5)) + (ids.Count > 5 ? $" and {ids.Count - 5} more" : "");
            var parts = new List<string>();
            if (change.Added.Count > 0)
                parts.Add($"{change.Added.Count} trial(s) added ({Some(change.Added)}), trained now");
            if (change.Removed.Count > 0)
                parts.Add($"{change.Removed.Count} removed ({Some(change.Removed)}), kept in the ledger but left out of counts, report and exports");
            yield return $"the sweep file changed since the ledger last saw it: {string.Join("; ", parts)}";
        }
        if (stillOut > 0)
            yield return $"{stillOut} attempt(s) were still out: their trainers' results are adopted when they come back";
    }

    /// <summary>The end-of-run table lists this many trials, the lowest validation loss first; all are in trials.csv and the report.</summary>
    public const int SummaryRows = 20;

    public void Summary(SweepFinished outcome, string folder) => Summary(AnsiConsole.Console, outcome, folder);

    /// <summary>
    /// The best trials as a table that fits the console (columns that do not fit are left out, least telling first), then
    /// the counts. Only <see cref="SummaryRows"/> rows whatever the sweep's size: a 100,000-row table took 2 GB to lay out.
    /// </summary>
    internal static void Summary(IAnsiConsole console, SweepFinished outcome, string folder)
    {
        var regression = outcome.Finished.Any(f => f.Trial.Task == LearningTask.Regression);
        var anyStopped = outcome.Finished.Any(f => f.Summary.StoppedEarly);
        var best = outcome.Finished
            .OrderBy(f => double.IsNaN(f.Summary.BestValLoss) ? double.MaxValue : f.Summary.BestValLoss)
            .Take(SummaryRows).ToList();
        // Most telling first; the tail is dropped until the table fits the console's width.
        var columns = new List<(string Header, Func<TrialSpec, TrialSummary, string> Cell)>
        {
            ("trial", (t, _) => t.Id),
            ("best val loss", (_, s) => Format(s.BestValLoss)),
            ("status", (_, s) => RunFolder.StatusName(s.Status)),
            ("best epoch", (_, s) => s.BestEpoch.ToString(CultureInfo.InvariantCulture)),
            ("final gap", (_, s) => Format(s.FinalGap)),
            ("model", (t, _) => t.Model),
            ("regularizer", (t, _) => t.Regularizer),
            (regression ? "best val MAE" : "best val acc", (t, s) => Format(BestMetric(t, s))),
            ("final val loss", (_, s) => Format(s.FinalValLoss)),
            ("seed", (t, _) => t.Seed.ToString(CultureInfo.InvariantCulture)),
            ("seconds", (_, s) => s.Seconds.ToString("F1", CultureInfo.InvariantCulture)),
        };
        if (anyStopped)
            columns.Add(("stopped epoch", (_, s) => s.StoppedEarly ? s.StoppedEpoch.ToString(CultureInfo.InvariantCulture) : ""));
        var cells = best.Select(f => columns.Select(c => c.Cell(f.Trial, f.Summary)).ToArray()).ToList();
        var widths = columns.Select((c, i) => cells.Select(r => r[i].Length).Append(c.Header.Length).Max()).ToList();
        var shown = columns.Count;
        // A simple border costs three characters a column (two of padding, one rule); keep one column of slack.
        while (shown > 2 && widths.Take(shown).Sum() + 3 * shown + 1 > console.Profile.Width)
            shown--;
        var table = new Table().Border(TableBorder.Simple);
        foreach (var (header, _) in columns.Take(shown))
            table.AddColumn(new TableColumn(header).NoWrap());
        foreach (var row in cells)
            table.AddRow(row.Take(shown).Select(Markup.Escape).ToArray());
        if (outcome.Finished.Count > best.Count)
            table.Caption($"the {best.Count} lowest validation losses of {outcome.Finished.Count:N0} trials; all in {RunFolder.TrialsFile} and the report");
        if (outcome.Finished.Count > 0)
            console.Write(table);
        console.MarkupLine(
            $"{outcome.Completed} completed, {outcome.Diverged} diverged, {outcome.Failed} failed, {outcome.Skipped} already done " +
            $"of {outcome.Total}; results in [bold]{Markup.Escape(folder)}[/] ({RunFolder.EpochsFile}, {RunFolder.TrialsFile})");
    }

    protected string Label(TrialSpec trial) => $"{cell(trial)} seed {trial.Seed}";

    protected static string Format(double value) => value.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>One epoch in one line; the metric follows the task: val_acc, or val_mae for regression.</summary>
    protected static string Describe(TrialSpec trial, EpochMetrics m) =>
        $"epoch {m.Epoch}/{trial.Epochs} train_loss {Format(m.TrainLoss)} val_loss {Format(m.ValLoss)} " +
        (trial.Task == LearningTask.Regression ? $"val_mae {Format(m.ValMae)}" : $"val_acc {Format(m.ValAccuracy)}") +
        $" {m.Seconds.ToString("F2", CultureInfo.InvariantCulture)}s";

    /// <summary>The task's metric at its best: the highest accuracy, or the lowest MAE for regression.</summary>
    protected static double BestMetric(TrialSpec trial, TrialSummary summary) =>
        trial.Task == LearningTask.Regression ? summary.BestValMae : summary.BestValAccuracy;

    protected static string DescribeBest(TrialSpec trial, TrialSummary summary) =>
        $"best val_loss {Format(summary.BestValLoss)}, best {(trial.Task == LearningTask.Regression ? "val_mae" : "val_acc")} {Format(BestMetric(trial, summary))}";

    /// <summary>", stopped early at epoch 5: val_loss did not improve ..." for a trial early stopping ended; empty otherwise.</summary>
    protected static string DescribeStop(TrialSummary summary) =>
        summary.StoppedEarly ? $", stopped early at epoch {summary.StoppedEpoch}: {summary.StopReason}" : "";

    private sealed class PlainDisplay : SweepDisplay, ISweepObserver
    {
        private readonly Dictionary<string, string> numbers = [];

        public override async Task<T> LoadDataAsync<T>(Func<IProgress<DataProgress>, Task<T>> load)
        {
            var lastStage = "";
            var lastTenth = -1L;
            var progress = new Progress<DataProgress>(p =>
            {
                var tenth = p.Total > 0 ? p.Done * 10 / p.Total : 0;
                if (p.Stage == lastStage && tenth == lastTenth)
                    return;
                (lastStage, lastTenth) = (p.Stage, tenth);
                System.Console.WriteLine(p.Total > 0 ? $"data: {p.Stage} {tenth * 10}%" : $"data: {p.Stage}");
            });
            return await load(progress);
        }

        public override T Track<T>(Func<ISweepObserver, T> work) => work(this);

        public void TrialStarted(TrialSpec trial, int number, int total, string node)
        {
            numbers[trial.Id] = $"[{number}/{total}]";
            System.Console.WriteLine($"{numbers[trial.Id]} {trial.Id} {Label(trial)} started on {node}");
        }

        public void TrialResumed(TrialSpec trial, int afterEpoch, string node) =>
            System.Console.WriteLine($"{numbers.GetValueOrDefault(trial.Id)} {trial.Id} {Label(trial)} resumed on {node} from its checkpoint after epoch {afterEpoch}/{trial.Epochs}");

        public void EpochFinished(TrialSpec trial, EpochMetrics metrics) =>
            System.Console.WriteLine($"{numbers.GetValueOrDefault(trial.Id)} {trial.Id} {Label(trial)} {Describe(trial, metrics)}");

        public void TrialFinished(TrialSpec trial, TrialSummary summary) =>
            System.Console.WriteLine($"{numbers.GetValueOrDefault(trial.Id)} {trial.Id} {Label(trial)} {RunFolder.StatusName(summary.Status)}: " +
                $"best epoch {summary.BestEpoch}, {DescribeBest(trial, summary)}{DescribeStop(summary)}" +
                (summary.Error is null ? "" : $" ({summary.Error})"));

        public void TrialRequeued(TrialSpec trial, string reason) =>
            System.Console.WriteLine($"{numbers.GetValueOrDefault(trial.Id)} {trial.Id} {Label(trial)} queued again: {reason}");

        public void LedgerOpened(string ledger, GridChange? change, int finished, int stillOut)
        {
            foreach (var line in DescribeLedger(ledger, change, finished, stillOut))
                System.Console.WriteLine(line);
        }

        public void TrialAdopted(TrialSpec trial, int atEpoch, string node) =>
            System.Console.WriteLine($"{numbers.GetValueOrDefault(trial.Id)} {trial.Id} {Label(trial)} adopted on {node} at epoch {atEpoch}/{trial.Epochs}");
    }

    /// <summary>
    /// Progress rows that keep to one line each at any width down to 80 columns: the bar and the times are of fixed width and
    /// the description is cut to what is left (Spectre otherwise squeezes the time columns to one character a line and drops the bar).
    /// </summary>
    internal static Progress Bars(IAnsiConsole console)
    {
        var narrow = console.Profile.Width < WideConsole;
        ProgressColumn[] columns = narrow
            ? [new FittedDescriptionColumn(console), new ProgressBarColumn { Width = NarrowBar }, new PercentageColumn(), new RemainingTimeColumn()]
            : [new FittedDescriptionColumn(console), new ProgressBarColumn { Width = WideBar }, new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn()];
        return console.Progress().AutoClear(true).HideCompleted(true).Columns(columns);
    }

    /// <summary>Below this width the elapsed time goes and the bar shrinks, so the description keeps about 50 characters at 80.</summary>
    private const int WideConsole = 100;
    private const int NarrowBar = 10;
    private const int WideBar = 20;

    /// <summary>What the columns right of the description take: bar, percentage (4), one or two times (8 each), a gap before each.</summary>
    private static int FixedWidth(int consoleWidth) => consoleWidth < WideConsole ? NarrowBar + 4 + 8 + 3 : WideBar + 4 + 8 + 8 + 4;

    /// <summary>The task's description cut with an ellipsis to the width the other columns leave.</summary>
    internal static string Fit(string text, int consoleWidth)
    {
        var room = DescriptionWidth(consoleWidth);
        return text.Length <= room ? text : text[..(room - 1)] + "…";
    }

    private static int DescriptionWidth(int consoleWidth) => Math.Max(12, consoleWidth - FixedWidth(consoleWidth) - 1);

    private sealed class FittedDescriptionColumn(IAnsiConsole console) : ProgressColumn
    {
        protected override bool NoWrap => true;

        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(Fit(Markup.Remove(task.Description), console.Profile.Width)).Overflow(Overflow.Ellipsis);

        public override int? GetColumnWidth(Spectre.Console.Rendering.RenderOptions options) => DescriptionWidth(console.Profile.Width);
    }

    /// <summary>Running trials with a progress row of their own; more are counted in the sweep's row.</summary>
    public const int MaxTrialRows = 8;

    /// <summary>Up to this many trials every finished one gets a line; beyond, only a new best and a failure.</summary>
    public const int EveryTrialLineUpTo = 200;

    /// <summary>The counts on the sweep's progress row.</summary>
    internal sealed class SweepTally
    {
        public int Total { get; set; }
        public int Done { get; private set; }
        public int Diverged { get; private set; }
        public int Failed { get; private set; }
        public double Best { get; private set; } = double.NaN;

        /// <returns>Whether the trial has the lowest validation loss so far.</returns>
        public bool Add(TrialSummary summary)
        {
            Done++;
            if (summary.Status == TrialStatus.Diverged)
                Diverged++;
            if (summary.Status == TrialStatus.Failed)
                Failed++;
            if (!double.IsFinite(summary.BestValLoss) || summary.BestValLoss >= Best)
                return false;
            Best = summary.BestValLoss;
            return true;
        }

        /// <summary>
        /// "1,234/100,000 done, best 0.2811, 64 running, 1 failed, 3 diverged": most telling first, as an 80-column
        /// terminal cuts the tail.
        /// </summary>
        public string Describe(int running)
        {
            static string N(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
            var parts = new List<string> { $"{N(Done)}/{N(Total)} done" };
            if (double.IsFinite(Best))
                parts.Add($"best {Format(Best)}");
            parts.Add($"{N(running)} running");
            if (Failed > 0)
                parts.Add($"{N(Failed)} failed");
            if (Diverged > 0)
                parts.Add($"{N(Diverged)} diverged");
            return string.Join(", ", parts);
        }
    }

    /// <summary>The live display on a given console (a terminal's, or a test's of fixed width).</summary>
    internal static SweepDisplay Live(IAnsiConsole console, IReadOnlyList<TrialSpec> trials) => new LiveDisplay(console) { cell = CellLabel(trials) };

    private sealed class LiveDisplay(IAnsiConsole? console = null) : SweepDisplay
    {
        private readonly IAnsiConsole console = console ?? AnsiConsole.Console;

        private Progress Bars() => Bars(console);

        public override Task<T> LoadDataAsync<T>(Func<IProgress<DataProgress>, Task<T>> load) =>
            Bars().StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new Progress<DataProgress>(p =>
                {
                    if (!tasks.TryGetValue(p.Stage, out var task))
                    {
                        foreach (var earlier in tasks.Values)
                            earlier.StopTask();
                        tasks[p.Stage] = task = context.AddTask($"data: {p.Stage}", maxValue: Math.Max(1, p.Total));
                        if (p.Total <= 0)
                            task.IsIndeterminate = true;
                    }
                    if (p.Total > 0)
                    {
                        task.MaxValue = p.Total;
                        task.Value = p.Done;
                    }
                });
                return await load(progress);
            });

        public override T Track<T>(Func<ISweepObserver, T> work) =>
            Bars().Start(context => work(new Observer(context, Label, console)));

        private sealed class Observer(ProgressContext context, Func<TrialSpec, string> Label, IAnsiConsole console) : ISweepObserver
        {
            private readonly Dictionary<string, ProgressTask> running = [];
            private readonly HashSet<string> unshown = [];
            private readonly SweepTally tally = new();
            private ProgressTask? sweep;

            public void TrialStarted(TrialSpec trial, int number, int total, string node)
            {
                sweep ??= context.AddTask("sweep", maxValue: total);
                tally.Total = total;
                if (running.Remove(trial.Id, out var earlier))
                    earlier.StopTask();
                // A row per running trial up to a screenful; the rest are counted in the sweep's row.
                if (running.Count < MaxTrialRows)
                {
                    unshown.Remove(trial.Id);
                    running[trial.Id] = context.AddTask(Markup.Escape($"{Label(trial)} on {node}"), maxValue: trial.Epochs);
                }
                else
                {
                    unshown.Add(trial.Id);
                }
                sweep.Description = Markup.Escape(tally.Describe(running.Count + unshown.Count));
            }

            public void TrialResumed(TrialSpec trial, int afterEpoch, string node)
            {
                if (running.TryGetValue(trial.Id, out var task))
                    task.Value = afterEpoch;
                console.MarkupLine(Markup.Escape($"{trial.Id} {Label(trial)} resumed on {node} from its checkpoint after epoch {afterEpoch}/{trial.Epochs}"));
            }

            public void EpochFinished(TrialSpec trial, EpochMetrics metrics)
            {
                if (!running.TryGetValue(trial.Id, out var task))
                    return;
                task.Value = metrics.Epoch;
                task.Description = Markup.Escape($"{Label(trial)}: {Describe(trial, metrics)}");
            }

            public void LedgerOpened(string ledger, GridChange? change, int finished, int stillOut)
            {
                foreach (var line in DescribeLedger(ledger, change, finished, stillOut))
                    console.MarkupLine(Markup.Escape(line));
            }

            public void TrialAdopted(TrialSpec trial, int atEpoch, string node) =>
                console.MarkupLine(Markup.Escape($"{trial.Id} {Label(trial)} adopted on {node} at epoch {atEpoch}/{trial.Epochs}"));

            public void TrialRequeued(TrialSpec trial, string reason)
            {
                if (running.Remove(trial.Id, out var task))
                    task.StopTask();
                console.MarkupLine(Markup.Escape($"{trial.Id} {Label(trial)} queued again: {reason}"));
            }

            public void TrialFinished(TrialSpec trial, TrialSummary summary)
            {
                if (running.Remove(trial.Id, out var task))
                    task.StopTask();
                unshown.Remove(trial.Id);
                sweep?.Increment(1);
                var newBest = tally.Add(summary);
                if (sweep is not null)
                    sweep.Description = Markup.Escape(tally.Describe(running.Count + unshown.Count));
                // A big sweep would scroll 100,000 lines past: there only a new best and a failure get one.
                if (tally.Total > EveryTrialLineUpTo && !newBest && summary.Status != TrialStatus.Failed)
                    return;
                var colour = summary.Status switch { TrialStatus.Completed => "green", TrialStatus.Diverged => "yellow", _ => "red" };
                console.MarkupLine(Markup.Escape($"{trial.Id} {Label(trial)}: ") +
                    $"[{colour}]{RunFolder.StatusName(summary.Status)}[/]" +
                    Markup.Escape($", best epoch {summary.BestEpoch}, {DescribeBest(trial, summary)}, final gap {Format(summary.FinalGap)}{DescribeStop(summary)}" +
                        (summary.Error is null ? "" : $" ({summary.Error})")));
            }
        }
    }
}
