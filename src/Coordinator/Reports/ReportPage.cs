using System.Globalization;
using System.Net;
using System.Text;
using GridSweep.Runtime.Files;

namespace GridSweep.Coordinator.Reports;

/// <summary>
/// The report's <c>index.html</c>: the figures and the trials ranked by best validation loss, in one
/// self-contained page (inline CSS and script, images by relative path, no external URL) that opens from disk.
/// </summary>
public static class ReportPage
{
    public static string Render(SweepResults results, IReadOnlyList<ReportFigure> figures)
    {
        var html = new StringBuilder();
        var name = Encode(results.Name);
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{name}}: GridSweep report</title>
            <style>
            body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; color: #222; margin: 2rem auto; max-width: 1280px; padding: 0 1rem; line-height: 1.45; }
            h1 { font-size: 1.8rem; margin-bottom: 0.3rem; }
            h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
            figure { margin: 1.5rem 0; }
            figure img { max-width: 100%; height: auto; border: 1px solid #e3e3e3; }
            figcaption { color: #555; font-size: 0.92rem; margin-top: 0.3rem; }
            .scroll { overflow-x: auto; }
            table { border-collapse: collapse; font-size: 0.9rem; margin: 0.8rem 0; }
            th, td { padding: 0.3rem 0.6rem; border-bottom: 1px solid #e3e3e3; text-align: left; white-space: nowrap; }
            th { background: #f3f3f3; }
            td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
            tbody tr:nth-child(even) { background: #fafafa; }
            tr.best td { font-weight: bold; }
            .status-failed { color: #b00020; }
            .status-diverged { color: #b35c00; }
            .error { display: inline-block; min-width: 16rem; max-width: 32rem; white-space: normal; color: #b00020; }
            code { background: #f3f3f3; padding: 0 0.2rem; }
            .missing { color: #b00020; font-weight: bold; }
            .note { color: #555; font-size: 0.92rem; }
            .heatmaps { display: flex; flex-wrap: wrap; gap: 1.2rem; }
            .heatmaps figure { margin: 0.5rem 0; }
            .heatmaps figcaption { max-width: 24rem; }
            .heatmaps rect:hover { stroke: #000; stroke-width: 2; }
            #parallel { position: relative; user-select: none; }
            #parallel canvas { display: block; border: 1px solid #e3e3e3; }
            #curves svg { border: 1px solid #e3e3e3; max-width: 100%; height: auto; }
            #curve-legend span { display: inline-block; margin: 0.1rem 0.8rem 0.1rem 0; cursor: pointer; }
            #trials thead tr.filters input { width: 100%; min-width: 3.5rem; box-sizing: border-box; font-size: 0.8rem; }
            #trials thead th.sortable { cursor: pointer; }
            #trials tbody tr { cursor: pointer; }
            .pager button { margin-right: 0.4rem; }
            </style>
            </head>
            <body>
            <h1>{{name}}</h1>
            <p>{{Summary(results)}}</p>

            """);

        // The figures first while they show every cell (a small study's story); past that, the views that do.
        var everyCell = ReportFigures.ShowsEveryCell(results);
        html.Append("<p class=\"note\"><a href=\"#heatmaps\">heatmaps</a> · <a href=\"#parallel-coordinates\">axes against loss</a> · <a href=\"#cell-curves\">curves per cell</a> · <a href=\"#figures\">figures</a> · <a href=\"#trial-table\">trials</a></p>\n");
        if (everyCell)
        {
            AppendFigures(html, figures, everyCell);
            AppendViews(html, results);
        }
        else
        {
            AppendViews(html, results);
            AppendFigures(html, figures, everyCell);
        }

        html.Append("<h2 id=\"trial-table\">Trials ranked by best validation loss</h2>\n");
        html.Append("<p class=\"note\">Click a header to sort, type in the boxes under it to filter (text: part of the value; numbers: <code>&lt;0.3</code>, <code>&gt;=5</code>, <code>0.2..0.4</code>); "
            + "click a row to draw its cell's curve above. The view is kept in the address (<code>#sort=best val loss:asc&amp;model=baseline</code>).</p>\n");
        html.Append(TrialTable(results, out var columns));
        html.Append(ReportViews.Data(results, columns));
        html.Append($$"""
            <p class="note">Losses are the data loss ({{Encode(results.LossName)}}); the L1/L2 penalty is not included.
            The best epoch is the one of lowest validation loss, where the trial starts to overfit; the final gap is
            validation minus train loss at the last epoch. {{(results.IsRegression
                ? "The metric is the mean absolute error (best: the lowest of any epoch)."
                : "The metric is accuracy (best: the highest of any epoch).")}} Source: <code>trials.csv</code> and <code>epochs.csv</code> beside this folder; a kept model is the best epoch's weights in <code>models/</code> (safetensors, with a JSON of how to load and feed them).</p>
            <script>
            // Marks the page once every figure has loaded (or says which did not), for readers and for tests.
            window.addEventListener("load", function () {
              var images = Array.prototype.slice.call(document.images);
              var broken = images.filter(function (img) { return !(img.complete && img.naturalWidth > 0); });
              broken.forEach(function (img) {
                var note = document.createElement("p");
                note.className = "missing";
                note.textContent = "Figure not found: " + img.getAttribute("src");
                img.insertAdjacentElement("afterend", note);
              });
              document.body.setAttribute("data-figures", broken.length === 0 ? "loaded" : "broken");
              document.body.setAttribute("data-figures-loaded", String(images.length - broken.length));
            });
            </script>
            """ + ReportViews.Script + """
            </body>
            </html>

            """);
        return html.ToString();
    }

    private static void AppendFigures(StringBuilder html, IReadOnlyList<ReportFigure> figures, bool everyCell)
    {
        html.Append("<h2 id=\"figures\">Figures</h2>\n");
        if (!everyCell)
            html.Append("<p class=\"note\">Drawn for the variants and models with the lowest validation loss only; the views above show every cell.</p>\n");
        foreach (var figure in figures)
        {
            html.Append($"""
                <figure id="{Encode(Path.GetFileNameWithoutExtension(figure.FileName))}">
                <img src="{Encode(figure.FileName)}" alt="{Encode(figure.Title + ": " + figure.Caption)}" width="{figure.Width}" height="{figure.Height}">
                <figcaption><b>{Encode(figure.Title)}.</b> {Encode(figure.Caption)}</figcaption>
                </figure>

                """);
        }
    }

    private static void AppendViews(StringBuilder html, SweepResults results)
    {
        html.Append("<h2 id=\"heatmaps\">Best validation loss by model and regularizer</h2>\n");
        html.Append("<p class=\"note\">Each number is the mean over a cell's finished trials (seeds, other axes). The best loss alone hides overfitting: "
            + "beside it the validation loss at the last epoch and the final gap (validation minus train loss), where a model that overfits shows.</p>\n");
        html.Append(ReportViews.Heatmaps(results));
        html.Append(GridTable(results));

        html.Append(ReportViews.InteractiveSections(results));
    }

    private static string Summary(SweepResults results)
    {
        var counts = results.Trials.GroupBy(t => t.Status).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Count()} {Encode(g.Key)}");
        var seeds = results.Trials.Select(t => t.Seed).Distinct().Count();
        var text = $"{results.Trials.Count} trials ({string.Join(", ", counts)}): {results.Models.Count} model(s) "
            + $"({Encode(Some(results.Models))}) x {results.Regularizers.Count} regularizer(s) "
            + $"({Encode(Some(results.Regularizers))})";
        if (results.Variants.Count > 1)
            text += $" x {results.Variants.Count} variants of optimizer, activation, batch size, epochs or early stopping ({Encode(Some(results.Variants))})";
        text += $", {seeds} seed(s).";
        if (results.Trials.Count(t => t.StoppedEpoch > 0) is var stopped and > 0)
            text += $" {stopped} trial(s) stopped early (completed, before their last epoch).";
        var best = results.Ranked[0];
        if (double.IsFinite(best.BestValLoss))
        {
            text += $" Lowest validation loss: <b>{Encode(best.Model)} / {Encode(best.Regularizer)}</b>, "
                + $"{Number(best.BestValLoss, "0.0000")} at epoch {best.BestEpoch}.";
        }
        return text;
    }

    /// <summary>The first names of a list and how many more: a 3,000-value axis is not listed in a sentence.</summary>
    private static string Some(IReadOnlyList<string> names) =>
        names.Count <= 12 ? string.Join(", ", names) : string.Join(", ", names.Take(10)) + $" and {names.Count - 10} more";

    private static string GridTable(SweepResults results)
    {
        var values = results.BestValLossGrid();
        var html = new StringBuilder("<div class=\"scroll\"><table id=\"best-val-loss\">\n<thead><tr><th>model</th>");
        foreach (var regularizer in results.Regularizers)
            html.Append($"<th class=\"num\">{Encode(regularizer)}</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        for (var row = 0; row < results.Models.Count; row++)
        {
            html.Append($"<tr><th>{Encode(results.Models[row])}</th>");
            for (var column = 0; column < results.Regularizers.Count; column++)
                html.Append($"<td class=\"num\">{Number(values[row, column], "0.0000")}</td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table></div>\n");
        return html.ToString();
    }

    /// <summary>Rows written into the page itself (readable without script); the script pages through all of them.</summary>
    public const int StaticRows = 200;

    /// <summary>A column of the trial table: its header, whether it holds numbers, its cell's HTML, and its key in the page's data.</summary>
    public sealed record TrialColumn(string Header, bool Numeric, Func<TrialRow, string> Cell, string Key);

    private static string TrialTable(SweepResults results, out List<TrialColumn> tableColumns)
    {
        // Columns that would say the same thing on every row (one optimizer, one seed, no error) are left out.
        var axisIndex = 0;
        var columns = new List<TrialColumn>
        {
            new("trial", false, t => $"<code>{Encode(t.TrialId)}</code>", "id"),
        };
        foreach (var (axis, label, numeric) in ReportViews.TableAxes(results))
            columns.Add(new(axis, numeric, t => Encode(label(t)), "a" + axisIndex++));
        columns.AddRange([
            new("status", false, t => $"<span class=\"status-{Encode(t.Status)}\">{Encode(t.Status)}</span>", "status"),
            new("best epoch", true, t => t.BestEpoch > 0 ? t.BestEpoch.ToString(CultureInfo.InvariantCulture) : "", "bestEpoch"),
        ]);
        // Only a run where early stopping ended a trial has something to say here; the reason shows on hover.
        if (results.Trials.Any(t => t.StoppedEpoch > 0))
        {
            columns.Add(new("stopped epoch", true, t => t.StoppedEpoch > 0
                ? $"<span title=\"{Encode(t.StopReason)}\">{t.StoppedEpoch.ToString(CultureInfo.InvariantCulture)}</span>"
                : "", "stopped"));
        }
        columns.AddRange([
            new("best val loss", true, t => Number(t.BestValLoss, "0.0000"), "best"),
            new("final val loss", true, t => Number(t.FinalValLoss, "0.0000"), "final"),
            new("final gap", true, t => Number(t.FinalGap, "0.000"), "gap"),
            new(results.IsRegression ? "best val MAE" : "best val acc", true, t => Number(t.BestValMetric(results.IsRegression), "0.0000"), "metric"),
            new("seconds", true, t => Number(t.Seconds, "0.0"), "seconds"),
        ]);
        if (results.Trials.Any(t => t.Error.Length > 0))
            columns.Add(new("error", false, t => $"<span class=\"error\">{Encode(t.Error)}</span>", "error"));
        // The kept best weights (models/<trial_id>.safetensors and its JSON), by a path relative to report/.
        var kept = KeptModels(results);
        if (kept.Count > 0)
            columns.Add(new("kept model", false, t => kept.Contains(t.TrialId) ? ModelLinks(t.TrialId) : "", "kept"));
        tableColumns = columns;

        var html = new StringBuilder("<p class=\"pager\" id=\"trials-pager\"></p>\n<div class=\"scroll\"><table id=\"trials\">\n<thead><tr><th class=\"num\">rank</th>");
        foreach (var column in columns)
            html.Append(column.Numeric ? $"<th class=\"num\">{column.Header}</th>" : $"<th>{column.Header}</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        var rank = 0;
        foreach (var trial in results.Ranked.Take(StaticRows))
        {
            rank++;
            html.Append(rank == 1 && double.IsFinite(trial.BestValLoss) ? "<tr class=\"best\">" : "<tr>");
            html.Append($"<td class=\"num\">{rank}</td>");
            foreach (var column in columns)
                html.Append(column.Numeric ? $"<td class=\"num\">{column.Cell(trial)}</td>" : $"<td>{column.Cell(trial)}</td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table></div>\n");
        if (results.Trials.Count > StaticRows)
            html.Append($"<p class=\"note\" id=\"trials-static-note\">The {StaticRows} best of {results.Trials.Count} trials; the page's script shows, sorts and filters all of them (every one is in <code>trials.csv</code>).</p>\n");
        return html.ToString();
    }

    /// <summary>Trials with kept weights: one listing of the models folder, not a lookup per trial.</summary>
    public static HashSet<string> KeptModels(SweepResults results)
    {
        var folder = Path.Combine(results.Folder, KeptModelFiles.Folder);
        var suffix = KeptModelFiles.WeightsFileName("");
        if (!Directory.Exists(folder))
            return [];
        return Directory.EnumerateFiles(folder, "*" + suffix).Select(Path.GetFileName)
            .Select(name => name![..^suffix.Length]).ToHashSet(StringComparer.Ordinal);
    }

    private static string ModelLinks(string trialId)
    {
        var weights = Encode($"../{KeptModelFiles.Folder}/{Uri.EscapeDataString(KeptModelFiles.WeightsFileName(trialId))}");
        var description = Encode($"../{KeptModelFiles.Folder}/{Uri.EscapeDataString(KeptModelFiles.DescriptionFileName(trialId))}");
        return $"<a href=\"{weights}\">weights</a> <a href=\"{description}\">json</a>";
    }

    /// <summary>Formats a number for the page; non-finite values as the CSV writes them (nan, inf).</summary>
    public static string Number(double value, string format) => value switch
    {
        double.NaN => "nan",
        double.PositiveInfinity => "inf",
        double.NegativeInfinity => "-inf",
        _ => value.ToString(format, CultureInfo.InvariantCulture),
    };

    public static string Encode(string text) => WebUtility.HtmlEncode(text);
}
