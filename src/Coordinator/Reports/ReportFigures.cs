using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace GridSweep.Coordinator.Reports;

/// <summary>One figure of the report: its file, its size, what it shows, and how to draw it as PNG.</summary>
public sealed record ReportFigure(string FileName, int Width, int Height, string Title, string Caption, Func<byte[]> Render);

/// <summary>
/// The study's figures, drawn with ScottPlot: loss against epoch per comparison (train dashed, validation
/// solid, the best epoch marked), the whole grid as small multiples, and the best validation loss as a heatmap.
/// </summary>
public static class ReportFigures
{
    public const int Width = 900;
    public const int Height = 600;

    private static readonly Color Neutral = Color.FromHex("#222222");
    private static readonly Color KeyColor = Color.FromHex("#999999");
    private static readonly Color[] Palette = new ScottPlot.Palettes.Category10().Colors;
    private static readonly Lazy<string> FontName = new(ChooseFont);

    /// <summary>
    /// Beyond these the PNG figures show the best of each (lowest best validation loss) and the page's interactive
    /// views show all: a 3,000-value learning-rate axis must not draw 3,000 figures or 3,000 lines in one.
    /// </summary>
    public const int MaxVariantsDrawn = 6;
    public const int MaxModelsDrawn = 6;
    public const int MaxGridSide = 8;
    public const int MaxMetricCurves = 12;
    public const int MaxHeatmapSide = 24;

    /// <summary>The figures' upper bound whatever the sweep: the model sizes per variant, the regularizers per model and variant, metric, grid, heatmap.</summary>
    public const int MaxFigures = MaxVariantsDrawn + MaxModelsDrawn * MaxVariantsDrawn + 3;

    /// <summary>Whether the figures show every cell of the sweep, none left out by the limits above.</summary>
    public static bool ShowsEveryCell(SweepResults results) =>
        results.Variants.Count <= MaxVariantsDrawn && results.Models.Count <= MaxModelsDrawn && results.Curves.Count <= MaxMetricCurves &&
        results.Models.Count <= MaxGridSide && results.Regularizers.Count <= MaxGridSide;

    /// <summary>Up to <paramref name="limit"/> of <paramref name="names"/>, the ones whose best curve is lowest, in their own order.</summary>
    private static List<string> Best(IReadOnlyList<string> names, int limit, Func<LossCurve, string> nameOf, IReadOnlyList<LossCurve> curves)
    {
        if (names.Count <= limit)
            return [.. names];
        var lowest = curves.GroupBy(nameOf).ToDictionary(g => g.Key, g => g.Select(c => c.BestValLoss).Where(double.IsFinite).DefaultIfEmpty(double.MaxValue).Min());
        var chosen = names.OrderBy(n => lowest.GetValueOrDefault(n, double.MaxValue)).Take(limit).ToHashSet();
        return names.Where(chosen.Contains).ToList();
    }

    public static IReadOnlyList<ReportFigure> For(SweepResults results)
    {
        var figures = new List<ReportFigure>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        string Unique(string name)
        {
            var candidate = name;
            for (var i = 2; !names.Add(candidate); i++)
                candidate = $"{name}-{i}";
            return candidate + ".png";
        }
        var top = LossTop(results.Curves);

        // A comparison holds everything else fixed: with an optimizer (or activation, batch size, epochs) axis, one figure per variant.
        var drawnVariants = Best(results.Variants, MaxVariantsDrawn, c => c.Variant, results.Curves);
        var variants = results.Variants.Count > 1
            ? drawnVariants.Select(o => (Only: (string?)o, File: "-" + FileSafe(o), Title: $", {o}")).ToList()
            : [(Only: null, File: "", Title: "")];
        var drawnModels = Best(results.Models, MaxModelsDrawn, c => c.Model, results.Curves);
        var reference = results.Regularizers[0];
        foreach (var optimizer in variants)
        {
            var sizes = drawnModels.SelectMany(m => results.CurvesOf(m, reference))
                .Where(c => optimizer.Only is null || c.Variant == optimizer.Only).ToList();
            if (sizes.Count == 0)
                continue;
            var title = $"Model sizes (regularizer: {reference}{optimizer.Title})";
            var series = sizes.Select(c => new Series(c, Label(c, c.Model), Palette[results.Models.ToList().IndexOf(c.Model) % Palette.Length])).ToList();
            figures.Add(new ReportFigure(Unique("loss-model-sizes" + optimizer.File), Width, Height, title,
                $"Train (dashed) and validation (solid) loss of each model with regularizer '{reference}'; dots mark each curve's lowest validation loss, where it starts to overfit.",
                () => LossFigure(title, series, top)));
        }

        // Each regularizer against the same model without one: one figure per model, all its regularizers.
        if (results.Regularizers.Contains(SweepResults.NoRegularizer))
        {
            foreach (var model in drawnModels)
            {
                foreach (var optimizer in variants)
                {
                    var curves = results.Regularizers.SelectMany(r => results.CurvesOf(model, r))
                        .Where(c => optimizer.Only is null || c.Variant == optimizer.Only).ToList();
                    if (!curves.Any(c => c.Regularizer == SweepResults.NoRegularizer) || curves.All(c => c.Regularizer == SweepResults.NoRegularizer))
                        continue;
                    var title = $"{model}{optimizer.Title}: each regularizer against none";
                    var series = curves.Select(c => new Series(c, Label(c, c.Regularizer),
                        c.Regularizer == SweepResults.NoRegularizer ? Neutral : RegularizerColor(results.Regularizers.ToList().IndexOf(c.Regularizer)))).ToList();
                    figures.Add(new ReportFigure(Unique("loss-regularizers-" + FileSafe(model) + optimizer.File), Width, Height, title,
                        $"Train (dashed) and validation (solid) loss of {model} with each regularizer against none (black).",
                        () => LossFigure(title, series, top)));
                }
            }
        }

        // The task's metric: accuracy, or mean absolute error for regression; one line per cell.
        if (results.Curves.Any(c => c.ValMetric.Any(double.IsFinite)))
        {
            var metric = results.MetricName;
            var title = $"Validation {metric} by epoch";
            figures.Add(new ReportFigure(Unique(results.IsRegression ? "metric-mae" : "metric-accuracy"), Width, Height, title,
                $"Train (dashed) and validation (solid) {metric} of every cell, averaged over its seeds; " +
                (results.IsRegression ? "lower is better." : "higher is better."),
                () => MetricFigure(results, title)));
        }

        // Small multiples of a big grid would be stamps: beyond 8 x 8 the page's heatmaps and curves stand in for it.
        if (results.Models.Count <= MaxGridSide && results.Regularizers.Count <= MaxGridSide)
        {
            var (gridWidth, gridHeight) = GridSize(results);
            figures.Add(new ReportFigure(Unique("grid"), gridWidth, gridHeight, "The whole grid",
                "Rows are models, columns regularizers; every cell shows train (dashed) and validation (solid) loss on the same axes, the dotted line at the best epoch" +
                (drawnVariants.Count < results.Variants.Count ? $"; the {drawnVariants.Count} variants with the lowest validation loss of {results.Variants.Count}." : "."),
                () => Grid(results, top, gridWidth, gridHeight, drawnVariants)));
        }

        if (results.Models.Count <= MaxHeatmapSide && results.Regularizers.Count <= MaxHeatmapSide)
        {
            figures.Add(new ReportFigure(Unique("heatmap-best-val-loss"), Width, Height, "Best validation loss",
                "Lowest validation loss of each model and regularizer, averaged over seeds and the other axes; the outlined cell is the lowest.",
                () => Heatmap(results)));
        }
        return figures;
    }

    /// <summary>Letters, digits, '-' and '_' only: grid names come from the sweep file and end up in file names.</summary>
    public static string FileSafe(string name)
    {
        var safe = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
        return safe.Length == 0 ? "unnamed" : safe;
    }

    /// <summary>Regularizers take the palette from red on, so they never share a colour with the models' blue, orange and green.</summary>
    private static Color RegularizerColor(int index) => Palette[(3 + index) % Palette.Length];

    private sealed record Series(LossCurve Curve, string Label, Color Color);

    private static string Label(LossCurve curve, string name) =>
        curve.DivergedSeeds > 0 ? name + " (diverged)" : name;

    private static byte[] LossFigure(string title, IReadOnlyList<Series> series, double top)
    {
        using var plot = NewPlot();
        plot.Title(title, 20);
        plot.XLabel("epoch", 16);
        plot.YLabel("loss", 16);
        foreach (var (curve, _, color) in series)
            DrawCurve(plot, curve, color, lineWidth: 2.5f);

        foreach (var (curve, label, color) in series)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"{label} (best epoch {curve.BestEpoch})", LineColor = color, LineWidth = 3 });
        AddStyleKey(plot);
        plot.Legend.FontSize = 14;
        plot.Legend.SymbolWidth = 36;
        plot.ShowLegend(Edge.Right);
        SetLimits(plot, series.Select(s => s.Curve), top);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    private static byte[] MetricFigure(SweepResults results, string title)
    {
        using var plot = NewPlot();
        plot.Title(title, 20);
        plot.XLabel("epoch", 16);
        plot.YLabel(results.IsRegression ? "mean absolute error" : "accuracy", 16);
        // A line per cell up to a dozen; beyond, the dozen with the lowest validation loss (the page has every cell).
        var curves = results.Curves.Count <= MaxMetricCurves ? results.Curves.ToList()
            : results.Curves.OrderBy(c => double.IsFinite(c.BestValLoss) ? c.BestValLoss : double.MaxValue).Take(MaxMetricCurves).ToList();
        for (var i = 0; i < curves.Count; i++)
        {
            var curve = curves[i];
            var color = Palette[i % Palette.Length];
            AddLine(plot, curve.Epochs, curve.TrainMetric, color, 2, LinePattern.Dashed);
            AddLine(plot, curve.Epochs, curve.ValMetric, color, 2.5f, LinePattern.Solid);
            var name = results.Variants.Count > 1 ? $"{curve.Model} / {curve.Regularizer} / {curve.Variant}" : $"{curve.Model} / {curve.Regularizer}";
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = name, LineColor = color, LineWidth = 3 });
        }
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "validation", LineColor = KeyColor, LineWidth = 2.5f });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "train", LineColor = KeyColor, LineWidth = 2, LinePattern = LinePattern.Dashed });
        plot.Legend.FontSize = 14;
        plot.Legend.SymbolWidth = 36;
        plot.ShowLegend(Edge.Right);
        var epochs = curves.SelectMany(c => c.Epochs).DefaultIfEmpty(1).ToList();
        var values = curves.SelectMany(c => c.TrainMetric.Concat(c.ValMetric)).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        var (low, high) = (Math.Min(0, values.Min()), values.Max());
        plot.Axes.SetLimits(epochs.Min() - 0.5, epochs.Max() + 0.5, low, high <= low ? low + 1 : high * 1.05);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    private static void DrawCurve(Plot plot, LossCurve curve, Color color, float lineWidth)
    {
        // Several seeds: the band they span, faint, their mean on top.
        if (curve.SeedCount > 1)
        {
            AddBand(plot, curve.Epochs, curve.TrainLossLow, curve.TrainLossHigh, color.WithAlpha(0.10));
            AddBand(plot, curve.Epochs, curve.ValLossLow, curve.ValLossHigh, color.WithAlpha(0.22));
        }
        AddLine(plot, curve.Epochs, curve.TrainLoss, color, lineWidth * 0.8f, LinePattern.Dashed);
        AddLine(plot, curve.Epochs, curve.ValLoss, color, lineWidth, LinePattern.Solid);
        if (curve.BestEpoch > 0)
            plot.Add.Marker(curve.BestEpoch, curve.BestValLoss, MarkerShape.FilledCircle, lineWidth * 4, color);
    }

    /// <summary>Draws the finite stretches of a curve: a diverged trial's nan/inf epochs are left out.</summary>
    private static void AddLine(Plot plot, int[] epochs, double[] values, Color color, float width, LinePattern pattern)
    {
        var start = 0;
        while (start < epochs.Length)
        {
            while (start < epochs.Length && !double.IsFinite(values[start]))
                start++;
            var end = start;
            while (end < epochs.Length && double.IsFinite(values[end]))
                end++;
            if (end > start)
            {
                var line = plot.Add.ScatterLine(epochs[start..end].Select(e => (double)e).ToArray(), values[start..end], color);
                line.LineWidth = width;
                line.LinePattern = pattern;
                if (end - start == 1)
                    line.MarkerSize = width * 2;
            }
            start = end;
        }
    }

    /// <summary>Fills between the seeds' lowest and highest loss over the epochs where both are finite.</summary>
    private static void AddBand(Plot plot, int[] epochs, double[] low, double[] high, Color color)
    {
        var finite = Enumerable.Range(0, epochs.Length).Where(i => double.IsFinite(low[i]) && double.IsFinite(high[i])).ToArray();
        if (finite.Length < 2)
            return;
        var band = plot.Add.FillY(finite.Select(i => (double)epochs[i]).ToArray(), finite.Select(i => low[i]).ToArray(), finite.Select(i => high[i]).ToArray());
        band.FillStyle.Color = color;
        band.LineStyle.Width = 0;
    }

    private static void AddStyleKey(Plot plot)
    {
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "validation", LineColor = KeyColor, LineWidth = 2.5f });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "train", LineColor = KeyColor, LineWidth = 2, LinePattern = LinePattern.Dashed });
        plot.Legend.ManualItems.Add(new LegendItem
        {
            LabelText = "best epoch", LineWidth = 0, MarkerShape = MarkerShape.FilledCircle, MarkerSize = 9, MarkerFillColor = KeyColor, MarkerLineColor = KeyColor,
        });
    }

    /// <summary>
    /// Top of the loss axis: the highest finite loss of the trials that did not diverge, so one blown-up
    /// trial does not flatten every other curve (it runs off the top instead).
    /// </summary>
    private static double LossTop(IEnumerable<LossCurve> curves)
    {
        var list = curves.ToList();
        var stable = list.Where(c => c.DivergedSeeds == 0).ToList();
        var scaled = stable.Count > 0 ? stable : list;
        var values = scaled
            .SelectMany(c => c.TrainLossHigh.Concat(c.ValLossHigh))
            .Where(double.IsFinite).ToList();
        if (values.Count == 0)
            return 1;
        // A regression's first epochs sit far above everything after them (house prices: an MSE of 600 at
        // epoch 1, about 10 where overfitting starts); scaled to them the part that matters is a flat line
        // at the bottom. Four times the median best validation loss keeps every classification study whole
        // and cuts only such a start off.
        var bests = scaled.Select(c => c.BestValLoss).Where(double.IsFinite).Order().ToList();
        var max = values.Max();
        return bests.Count == 0 ? max : Math.Min(max, 4 * bests[bests.Count / 2]);
    }

    private static void SetLimits(Plot plot, IEnumerable<LossCurve> curves, double top)
    {
        var epochs = curves.SelectMany(c => c.Epochs).DefaultIfEmpty(1).ToList();
        var bottom = Math.Min(0, curves.SelectMany(c => c.TrainLoss.Concat(c.ValLoss)).Where(double.IsFinite).DefaultIfEmpty(0).Min());
        plot.Axes.SetLimits(epochs.Min() - 0.5, epochs.Max() + 0.5, bottom, top <= bottom ? bottom + 1 : top * 1.05);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
    }

    private static (int Width, int Height) GridSize(SweepResults results) =>
        (Math.Max(Width, 80 + 380 * results.Regularizers.Count), Math.Max(Height, GridTitleHeight + 300 * results.Models.Count));

    private const int GridTitleHeight = 66;

    private static byte[] Grid(SweepResults results, double top, int width, int height, IReadOnlyList<string> drawnVariants)
    {
        var rows = results.Models.Count;
        var columns = results.Regularizers.Count;
        var multiplot = new Multiplot();
        multiplot.AddPlots(rows * columns);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        var allCurves = results.Curves.ToList();
        for (var row = 0; row < rows; row++)
        {
            for (var column = 0; column < columns; column++)
            {
                var plot = multiplot.GetPlot(row * columns + column);
                Style(plot);
                var (model, regularizer) = (results.Models[row], results.Regularizers[column]);
                plot.Title($"{model} / {regularizer}", 15);
                if (row == rows - 1)
                    plot.XLabel("epoch", 14);
                if (column == 0)
                    plot.YLabel("loss", 14);
                var curves = results.CurvesOf(model, regularizer).Where(c => drawnVariants.Contains(c.Variant)).ToList();
                for (var i = 0; i < curves.Count; i++)
                {
                    var color = results.Variants.Count > 1
                        ? Palette[results.Variants.ToList().IndexOf(curves[i].Variant) % Palette.Length]
                        : Palette[row % Palette.Length];
                    DrawCurve(plot, curves[i], color, lineWidth: 2);
                    if (curves[i].BestEpoch > 0)
                    {
                        plot.Add.VerticalLine(curves[i].BestEpoch, 1, color.WithAlpha(0.6), LinePattern.Dotted);
                        var label = plot.Add.Text($"best {curves[i].BestEpoch}", curves[i].BestEpoch, top * 1.02);
                        label.LabelFontSize = 12;
                        label.LabelFontColor = color;
                        // Right of the line in the first half of the epochs, left of it in the second, so it stays inside.
                        var late = curves[i].BestEpoch > (allCurves.Max(c => c.Epochs[^1]) + allCurves.Min(c => c.Epochs[0])) / 2.0;
                        label.LabelAlignment = late ? Alignment.UpperRight : Alignment.UpperLeft;
                        label.OffsetX = late ? -4 : 4;
                        label.OffsetY = 16 * i; // one line per variant, so close best epochs do not overprint
                    }
                }
                if (curves.Count == 0)
                {
                    var status = results.Trials.Where(t => t.Model == model && t.Regularizer == regularizer).Select(t => t.Status).Distinct().ToList();
                    var note = plot.Add.Text(status.Count == 0 ? "no trial" : string.Join(", ", status), 0.5, 0.5);
                    note.LabelFontSize = 16;
                    note.LabelFontColor = Colors.Gray;
                    note.LabelAlignment = Alignment.MiddleCenter;
                    plot.Axes.SetLimits(0, 1, 0, 1);
                    continue;
                }
                SetLimits(plot, allCurves, top);
            }
        }

        // A title above the panels, so the PNG explains itself when seen outside the report.
        using var panels = multiplot.Render(width, height - GridTitleHeight);
        using var panelsBitmap = SKBitmap.Decode(panels.GetImageBytes(ImageFormat.Png, 100));
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        surface.Canvas.Clear(SKColors.White);
        using (var title = new SKFont(Fonts.GetTypeface(FontName.Value, bold: true, italic: false), 22))
        using (var key = new SKFont(Fonts.GetTypeface(FontName.Value, bold: false, italic: false), 15))
        using (var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            surface.Canvas.DrawText($"{results.Name}: loss by epoch, rows = models, columns = regularizers", width / 2f, 30, SKTextAlign.Center, title, ink);
            // The key line: line styles, then which colour is which variant when there are several.
            var segments = new List<(string Text, SKColor Color)>
            {
                ("solid: validation   dashed: train   dot and dotted line: best epoch   same y-axis in every panel", new SKColor(0x44, 0x44, 0x44)),
            };
            if (results.Variants.Count > 1)
            {
                for (var i = 0; i < results.Variants.Count; i++)
                {
                    if (!drawnVariants.Contains(results.Variants[i]))
                        continue;
                    var color = Palette[i % Palette.Length];
                    segments.Add(($"   {results.Variants[i]}", new SKColor(color.R, color.G, color.B)));
                }
            }
            var x = (width - segments.Sum(segment => key.MeasureText(segment.Text))) / 2;
            foreach (var (text, color) in segments)
            {
                using var paint = new SKPaint { Color = color, IsAntialias = true };
                surface.Canvas.DrawText(text, x, 54, SKTextAlign.Left, key, paint);
                x += key.MeasureText(text);
            }
        }
        surface.Canvas.DrawBitmap(panelsBitmap, 0, GridTitleHeight);
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static byte[] Heatmap(SweepResults results)
    {
        var values = results.BestValLossGrid();
        var rows = results.Models.Count;
        var columns = results.Regularizers.Count;
        using var plot = NewPlot();
        plot.Title(results.Variants.Count > 1 ? "Best validation loss (mean over seeds and the other axes)" : "Best validation loss (mean over seeds)", 20);
        plot.XLabel("regularizer", 16);
        plot.YLabel("model", 16);

        // Row 0 (the first model) on top, as in the grid figure.
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.NaNCellColor = Colors.LightGray;
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "best validation loss";
        bar.LabelStyle.FontSize = 14;

        var finite = values.Cast<double>().Where(double.IsFinite).ToList();
        var (low, high) = finite.Count == 0 ? (0.0, 1.0) : (finite.Min(), finite.Max());
        (int Row, int Column)? best = null;
        for (var row = 0; row < rows; row++)
        {
            for (var column = 0; column < columns; column++)
            {
                var value = values[row, column];
                var y = rows - 1 - row;
                var text = plot.Add.Text(double.IsFinite(value) ? value.ToString("0.0000", CultureInfo.InvariantCulture) : "n/a", column, y);
                text.LabelFontSize = 20;
                text.LabelBold = true;
                text.LabelAlignment = Alignment.MiddleCenter;
                // Viridis is dark at the low end: white text there, black on the bright high end.
                var fraction = high > low && double.IsFinite(value) ? (value - low) / (high - low) : 1;
                text.LabelFontColor = fraction < 0.6 ? Colors.White : Colors.Black;
                if (double.IsFinite(value) && value == low)
                    best ??= (row, column);
            }
        }
        if (best is { } cell)
        {
            var y = rows - 1 - cell.Row;
            var outline = plot.Add.Rectangle(cell.Column - 0.48, cell.Column + 0.48, y - 0.48, y + 0.48);
            outline.FillStyle.Color = Colors.Transparent;
            outline.LineStyle.Color = Colors.OrangeRed;
            outline.LineStyle.Width = 4;
        }

        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, columns).Select(i => (double)i).ToArray(), results.Regularizers.ToArray());
        plot.Axes.Left.SetTicks(Enumerable.Range(0, rows).Select(i => (double)(rows - 1 - i)).ToArray(), results.Models.ToArray());
        plot.Axes.Bottom.TickLabelStyle.FontSize = 15;
        plot.Axes.Left.TickLabelStyle.FontSize = 15;
        plot.Axes.SetLimits(-0.5, columns - 0.5, -0.5, rows - 0.5);
        plot.HideGrid();
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    private static Plot NewPlot()
    {
        var plot = new Plot();
        Style(plot);
        return plot;
    }

    private static void Style(Plot plot)
    {
        plot.Font.Set(FontName.Value);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
    }

    /// <summary>
    /// A sans-serif family that exists here. SkiaSharp's self-contained Linux build reads font files from
    /// /usr/share/fonts; without any, every label would be drawn blank, so that is an error, not a figure.
    /// </summary>
    private static string ChooseFont()
    {
        if (SKFontManager.Default.FontFamilyCount == 0)
            throw new ReportException("no font found to label the figures (none under /usr/share/fonts): install one, e.g. apt-get install fonts-dejavu-core");
        foreach (var name in new[] { "DejaVu Sans", "Liberation Sans", "Arial", "Helvetica" })
        {
            using var typeface = SKFontManager.Default.MatchFamily(name);
            if (typeface?.FamilyName == name)
                return name;
        }
        return Fonts.Sans;
    }
}
