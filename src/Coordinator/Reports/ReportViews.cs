using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GridSweep.Coordinator.Reports;

/// <summary>
/// The report's views that summarise a sweep of any size: heatmaps of best and final validation loss and final gap (inline
/// SVG), and, drawn by the page's own script from the trials' numbers embedded in it, a parallel-coordinates view of the
/// axes against the loss, the curves of chosen cells with their seed band, and the trial table that sorts, filters and
/// pages. Plain inline script and SVG/canvas: no library, no network.
/// </summary>
public static class ReportViews
{
    private static string Encode(string text) => ReportPage.Encode(text);

    private static readonly string[] TextAxes = ["model", "regularizer", "optimizer", "activation", "early stopping"];

    /// <summary>The trial table's axis columns: model and regularizer, the optimizer and other axes when the sweep varies them, the seed when there are several.</summary>
    public static List<(string Name, Func<TrialRow, string> Label, bool Numeric)> TableAxes(SweepResults results)
    {
        var axes = new List<(string, Func<TrialRow, string>, bool)> { ("model", t => t.Model, false), ("regularizer", t => t.Regularizer, false) };
        if (results.Variants.Count > 1)
            axes.Add(("optimizer", t => t.Optimizer, false));
        foreach (var (axis, label) in results.SweptAxes)
            axes.Add((axis, label, !TextAxes.Contains(axis)));
        if (Sweeps.SweptAxes.Varying(results.Trials, ("seed", t => t.Seed.ToString(CultureInfo.InvariantCulture))).Count > 0)
            axes.Add(("seed", t => t.Seed.ToString(CultureInfo.InvariantCulture), true));
        return axes;
    }

    /// <summary>Best validation loss, final validation loss and final gap per model and regularizer, side by side, the value on hover and in the cell.</summary>
    public static string Heatmaps(SweepResults results)
    {
        var html = new StringBuilder("<div class=\"heatmaps\">\n");
        html.Append(Heatmap(results, "heatmap-best", "best validation loss", results.BestValLossGrid(), "0.0000", outlineLowest: true));
        html.Append(Heatmap(results, "heatmap-final", "final validation loss", results.FinalValLossGrid(), "0.0000", outlineLowest: true));
        html.Append(Heatmap(results, "heatmap-gap", "final gap (validation - train loss)", results.FinalGapGrid(), "0.000", outlineLowest: false));
        html.Append("</div>\n");
        return html.ToString();
    }

    private static string Heatmap(SweepResults results, string id, string title, double[,] values, string format, bool outlineLowest)
    {
        var (rows, columns) = (results.Models.Count, results.Regularizers.Count);
        var cell = Math.Clamp(330 / Math.Max(rows, columns), 6, 90);
        var (left, top) = (Math.Min(140, 8 + 7 * results.Models.Max(m => m.Length)), 24);
        var (width, height) = (left + cell * columns + 8, top + cell * rows + 70);
        var finite = values.Cast<double>().Where(double.IsFinite).ToList();
        var (low, high) = finite.Count == 0 ? (0.0, 1.0) : (finite.Min(), finite.Max());
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<figure><svg id=\"{id}\" class=\"heatmap\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Encode(title)}\" font-size=\"12\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"14\" font-weight=\"bold\">{Encode(title)}</text>");
        var lowestDone = false;
        for (var row = 0; row < rows; row++)
        {
            if (cell >= 12)
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{top + cell * row + cell / 2 + 4}\" text-anchor=\"end\">{Encode(Clip(results.Models[row], 18))}</text>");
            for (var column = 0; column < columns; column++)
            {
                var value = values[row, column];
                var fraction = high > low && double.IsFinite(value) ? (value - low) / (high - low) : 0;
                var fill = double.IsFinite(value) ? Viridis(fraction) : "#d3d3d3";
                var (x, y) = (left + cell * column, top + cell * row);
                var outline = outlineLowest && !lowestDone && double.IsFinite(value) && value == low;
                lowestDone |= outline;
                var text = Number(value, format);
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" fill=\"{fill}\"{(outline ? " stroke=\"orangered\" stroke-width=\"3\"" : "")} data-row=\"{row}\" data-col=\"{column}\" data-value=\"{text}\">" +
                    $"<title>{Encode(results.Models[row])} / {Encode(results.Regularizers[column])}: {title} {text}</title></rect>");
                if (cell >= 44)
                    svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + cell / 2}\" y=\"{y + cell / 2 + 4}\" text-anchor=\"middle\" fill=\"{(fraction < 0.6 ? "#fff" : "#000")}\" pointer-events=\"none\">{text}</text>");
            }
        }
        if (cell >= 12)
        {
            for (var column = 0; column < columns; column++)
            {
                var x = left + cell * column + cell / 2;
                var y = top + cell * rows + 6;
                svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate({x},{y}) rotate(35)\">{Encode(Clip(results.Regularizers[column], 14))}</text>");
            }
        }
        svg.Append("</svg><figcaption>rows: model, columns: regularizer; lowest dark, highest yellow</figcaption></figure>\n");
        return svg.ToString();
    }

    private static string Clip(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private static readonly (double R, double G, double B)[] ViridisStops =
        [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)];

    private static string Viridis(double fraction)
    {
        var at = Math.Clamp(fraction, 0, 1) * (ViridisStops.Length - 1);
        var i = Math.Min((int)at, ViridisStops.Length - 2);
        var f = at - i;
        var (a, b) = (ViridisStops[i], ViridisStops[i + 1]);
        return $"#{(int)(a.R + (b.R - a.R) * f):x2}{(int)(a.G + (b.G - a.G) * f):x2}{(int)(a.B + (b.B - a.B) * f):x2}";
    }

    private static string Number(double value, string format) => ReportPage.Number(value, format);

    /// <summary>The parallel coordinates and the cell curves: empty containers the script draws into.</summary>
    public static string InteractiveSections(SweepResults results) => $"""
        <h2 id="parallel-coordinates">Axes against validation loss</h2>
        <p class="note">Parallel coordinates: one line per finished trial through its value on each swept axis to its best validation loss and
        final gap, coloured by best validation loss (dark lowest). Drag along an axis to keep only the trials in that range (the table follows);
        double-click an axis to clear it. Needs the page's script.</p>
        <div id="parallel" data-lines="0" data-axes="0"><canvas width="1200" height="380"></canvas></div>
        <p class="note" id="parallel-note"></p>
        <h2 id="cell-curves">Loss by epoch per cell</h2>
        <p class="note">Mean validation (solid) and train (dashed) loss of each cell over its seeds, the band spanning the seeds' validation loss, a dot
        at the best epoch; the cells with the lowest validation loss to begin with ({results.Curves.Count} cells in all). Click a trial in the table to
        add its cell, a name below to remove it; drag across the plot to zoom, double-click to zoom out.</p>
        <div id="curves" data-cells="0"></div>
        <p id="curve-legend"></p>

        """;

    /// <summary>
    /// The trials (in rank order) and cells as JSON in the page, for the script: columns of numbers, axis labels as
    /// indices into each axis's values, each cell's curves packed by <see cref="Pack"/>.
    /// </summary>
    public static string Data(SweepResults results, IReadOnlyList<ReportPage.TrialColumn> columns)
    {
        var ranked = results.Ranked;
        var axes = TableAxes(results);
        var variants = results.Variants.Count > 1;
        string CellKey(string model, string regularizer, string variant) => $"{model}\u0001{regularizer}\u0001{variant}";
        var cellIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < results.Curves.Count; i++)
            cellIndex[CellKey(results.Curves[i].Model, results.Curves[i].Regularizer, results.Curves[i].Variant)] = i;
        var variantOf = SweepResults.VariantOf(results.Trials);
        var kept = ReportPage.KeptModels(results);

        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("lossName", results.LossName);
            json.WriteStartArray("columns");
            foreach (var column in columns)
            {
                json.WriteStartObject();
                json.WriteString("h", column.Header);
                json.WriteString("k", column.Key);
                json.WriteBoolean("n", column.Numeric);
                json.WriteEndObject();
            }
            json.WriteEndArray();

            json.WriteStartArray("axes");
            var codes = new List<int[]>();
            foreach (var (name, label, numeric) in axes)
            {
                var values = new Dictionary<string, int>(StringComparer.Ordinal);
                var code = new int[ranked.Count];
                for (var i = 0; i < ranked.Count; i++)
                {
                    var text = label(ranked[i]);
                    if (!values.TryGetValue(text, out code[i]))
                        values[text] = code[i] = values.Count;
                }
                codes.Add(code);
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteBoolean("numeric", numeric);
                json.WriteStartArray("values");
                foreach (var value in values.Keys)
                    json.WriteStringValue(value);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("a");
            foreach (var code in codes)
                Ints(json, null, code);
            json.WriteEndArray();

            json.WriteStartArray("id");
            foreach (var trial in ranked)
                json.WriteStringValue(trial.TrialId);
            json.WriteEndArray();
            var statuses = ranked.Select(t => t.Status).Distinct().ToList();
            Strings(json, "statuses", statuses);
            Ints(json, "status", ranked.Select(t => statuses.IndexOf(t.Status)).ToArray());
            Ints(json, "bestEpoch", ranked.Select(t => t.BestEpoch).ToArray());
            if (ranked.Any(t => t.StoppedEpoch > 0))
                Ints(json, "stopped", ranked.Select(t => t.StoppedEpoch).ToArray());
            // One digit more than the table shows, so sorting and filtering see what the reader sees.
            Numbers(json, "best", ranked.Select(t => t.BestValLoss), "G5");
            Numbers(json, "final", ranked.Select(t => t.FinalValLoss), "G5");
            Numbers(json, "gap", ranked.Select(t => t.FinalGap), "G5");
            Numbers(json, "metric", ranked.Select(t => t.BestValMetric(results.IsRegression)), "G5");
            Numbers(json, "seconds", ranked.Select(t => t.Seconds), "G4");
            Ints(json, "cell", ranked.Select(t => cellIndex.GetValueOrDefault(CellKey(t.Model, t.Regularizer, variantOf(t)), -1)).ToArray());
            // Sparse: most trials have neither.
            json.WriteStartObject("reason");
            for (var i = 0; i < ranked.Count; i++)
            {
                if (ranked[i].StopReason.Length > 0)
                    json.WriteString(i.ToString(CultureInfo.InvariantCulture), ranked[i].StopReason);
            }
            json.WriteEndObject();
            json.WriteStartObject("error");
            for (var i = 0; i < ranked.Count; i++)
            {
                if (ranked[i].Error.Length > 0)
                    json.WriteString(i.ToString(CultureInfo.InvariantCulture), ranked[i].Error);
            }
            json.WriteEndObject();
            Ints(json, "kept", Enumerable.Range(0, ranked.Count).Where(i => kept.Contains(ranked[i].TrialId)).ToArray());

            json.WriteStartArray("cells");
            foreach (var curve in results.Curves)
            {
                json.WriteStartObject();
                json.WriteString("label", variants ? $"{curve.Model} / {curve.Regularizer} / {curve.Variant}" : $"{curve.Model} / {curve.Regularizer}");
                json.WriteNumber("n", curve.SeedCount);
                // Epochs 1, 2, ... n (almost every cell) as their first and count; otherwise listed.
                var contiguous = curve.Epochs.Select((e, i) => e == curve.Epochs[0] + i).All(b => b);
                if (contiguous)
                {
                    json.WriteNumber("e0", curve.Epochs[0]);
                    json.WriteNumber("en", curve.Epochs.Length);
                }
                else
                {
                    Ints(json, "e", curve.Epochs);
                }
                double[][] series = curve.SeedCount > 1 ? [curve.TrainLoss, curve.ValLoss, curve.ValLossLow, curve.ValLossHigh] : [curve.TrainLoss, curve.ValLoss];
                var (offset, scale, packed) = Pack(series);
                // Base64 needs no escaping in JSON; the writer's default encoder would spell '+' as \u002B.
                json.WritePropertyName("q");
                json.WriteRawValue("\"" + packed + "\"", skipInputValidation: true);
                json.WriteNumber("o", offset);
                json.WriteNumber("s", scale);
                json.WriteNumber("bestEpoch", curve.BestEpoch);
                json.WritePropertyName("b");
                Number(json, curve.BestValLoss, "G6");
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        // The default encoder escapes < and >, so the JSON cannot end the script element early.
        return "<script type=\"application/json\" id=\"report-data\">" + Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length) + "</script>\n";
    }

    private static void Ints(Utf8JsonWriter json, string? name, IReadOnlyList<int> values)
    {
        if (name is null)
            json.WriteStartArray();
        else
            json.WriteStartArray(name);
        foreach (var value in values)
            json.WriteNumberValue(value);
        json.WriteEndArray();
    }

    private static void Strings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
            json.WriteStringValue(value);
        json.WriteEndArray();
    }

    /// <summary>Numbers at the given precision; nan and inf (not JSON) as null.</summary>
    private static void Numbers(Utf8JsonWriter json, string name, IEnumerable<double> values, string format)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
            Number(json, value, format);
        json.WriteEndArray();
    }

    private static void Number(Utf8JsonWriter json, double value, string format)
    {
        if (double.IsFinite(value))
            json.WriteRawValue(value.ToString(format, CultureInfo.InvariantCulture), skipInputValidation: true);
        else
            json.WriteNullValue();
    }

    /// <summary>The value meaning "no finite value" (nan, inf) in <see cref="Pack"/>.</summary>
    private const ushort Missing = ushort.MaxValue;

    /// <summary>
    /// A cell's curves, one after another, as 16-bit steps between the cell's lowest and highest finite value (2 bytes a
    /// number instead of about 7 characters: 100,000 trials' curves in a third of the text). The steps are 1/65,534 of the
    /// cell's range, finer than the 4 decimals the page shows for a loss under 3.
    /// </summary>
    public static (double Offset, double Scale, string Base64) Pack(IReadOnlyList<double[]> series)
    {
        var finite = series.SelectMany(v => v).Where(double.IsFinite).ToList();
        var (low, high) = finite.Count == 0 ? (0.0, 1.0) : (finite.Min(), finite.Max());
        var range = high > low ? high - low : 1;
        var bytes = new byte[series.Sum(v => v.Length) * 2];
        var at = 0;
        foreach (var values in series)
        {
            foreach (var value in values)
            {
                var step = double.IsFinite(value) ? (ushort)Math.Round((value - low) / range * (Missing - 1)) : Missing;
                bytes[at++] = (byte)(step & 0xff);
                bytes[at++] = (byte)(step >> 8);
            }
        }
        return (low, range, Convert.ToBase64String(bytes));
    }

    /// <summary>The page's script: reads the embedded data, draws the parallel coordinates and curves, runs the table.</summary>
    public static readonly string Script = LoadScript();

    private static string LoadScript()
    {
        using var stream = typeof(ReportViews).Assembly.GetManifestResourceStream("GridSweep.Coordinator.Reports.report.js")
            ?? throw new InvalidOperationException("report.js is not embedded in the coordinator's assembly");
        using var reader = new StreamReader(stream);
        return "\n<script>\n" + reader.ReadToEnd() + "\n</script>\n";
    }
}
