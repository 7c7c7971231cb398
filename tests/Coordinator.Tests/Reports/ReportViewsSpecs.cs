using System.Globalization;
using System.Text.RegularExpressions;
using GridSweep.Coordinator.Reports;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests.Reports;

/// <summary>The views that summarise a sweep of any size: heatmaps, parallel coordinates, cell curves, the table that sorts and filters.</summary>
public sealed partial class ReportViewsSpecs
{
    [Fact]
    public void The_final_loss_and_gap_heatmaps_beside_the_best_loss_hold_the_means_of_trials_csv()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);
        var rows = SampleRun.TrialRows(run).Where(r => r["status"] is "completed" or "diverged").ToList();
        var html = File.ReadAllText(ReportWriter.Write(run));

        foreach (var (id, column, format) in new[] { ("heatmap-best", "best_val_loss", "0.0000"), ("heatmap-final", "final_val_loss", "0.0000"), ("heatmap-gap", "final_gap", "0.000") })
        {
            var svg = html[html.IndexOf($"<svg id=\"{id}\"", StringComparison.Ordinal)..];
            svg = svg[..svg.IndexOf("</svg>", StringComparison.Ordinal)];
            var cells = CellPattern().Matches(svg).ToDictionary(m => (m.Groups["row"].Value, m.Groups["col"].Value), m => m.Groups["value"].Value);
            Assert.Equal(4, cells.Count);
            string Mean(string model, string regularizer)
            {
                var values = rows.Where(r => r["model"] == model && r["regularizer"] == regularizer)
                    .Select(r => CsvFormat.ParseNumber(r[column])).Where(double.IsFinite).ToList();
                return values.Count == 0 ? "nan" : values.Average().ToString(format, CultureInfo.InvariantCulture);
            }
            Assert.Equal(Mean("baseline", "none"), cells[("0", "0")]);
            Assert.Equal(Mean("baseline", "l2"), cells[("0", "1")]);
            Assert.Equal(Mean("smaller", "none"), cells[("1", "0")]);
            Assert.Equal(Mean("smaller", "l2"), cells[("1", "1")]);
        }
    }

    [Fact]
    public void A_sweep_with_many_learning_rates_draws_a_bounded_number_of_figures_and_writes_the_best_rows_into_the_page()
    {
        using var directory = new TempDirectory();
        var run = ManyRates(directory.Path, rates: 30, seeds: 4);

        var index = ReportWriter.Write(run);

        var figures = Directory.GetFiles(Path.GetDirectoryName(index)!, "*.png").Select(Path.GetFileName).ToList();
        Assert.True(figures.Count <= ReportFigures.MaxFigures, $"{figures.Count} figures: {string.Join(", ", figures)}");
        // One model-size figure per drawn variant, the six with the lowest loss; every regularizer figure of those six.
        Assert.Equal(ReportFigures.MaxVariantsDrawn, figures.Count(f => f!.StartsWith("loss-model-sizes", StringComparison.Ordinal)));
        Assert.Equal(ReportFigures.MaxVariantsDrawn, figures.Count(f => f!.StartsWith("loss-regularizers-", StringComparison.Ordinal)));
        Assert.Contains("loss-model-sizes-adam-lr0-0011.png", figures); // rate 11 of 30 has the lowest floor
        var html = File.ReadAllText(index);
        var table = html[html.IndexOf("<table id=\"trials\">", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("</table>", StringComparison.Ordinal)];
        Assert.Equal(ReportPage.StaticRows, Regex.Matches(table, "<tr[ >]").Count - 1);
        Assert.Contains($"The {ReportPage.StaticRows} best of 240 trials", html);
    }

    [Fact]
    public void The_page_draws_one_parallel_coordinate_line_per_trial_with_a_loss_on_each_varying_axis_and_the_losses()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);
        var withLoss = SampleRun.TrialRows(run).Count(r => double.IsFinite(CsvFormat.ParseNumber(r["best_val_loss"])));

        var dom = ChromiumPage.Dump(directory, ReportWriter.Write(run));

        Assert.Contains("data-views=\"ready\"", dom);
        Assert.Contains($"data-lines=\"{withLoss}\"", dom);
        // model, regularizer and seed vary here; then the two losses.
        Assert.Contains("data-axes=\"5\"", dom);
        Assert.Contains("data-axis-names=\"model|regularizer|seed|best val loss|final gap\"", dom);
        Assert.Contains($"data-cells=\"{SweepResults.Load(run).Curves.Count}\"", dom);
        Assert.Matches("<path class=\"band\"", dom); // cells of two seeds have a band
    }

    [Fact]
    public void The_table_sorts_and_filters_as_the_address_says_over_every_trial()
    {
        using var directory = new TempDirectory();
        var run = ManyRates(directory.Path, rates: 30, seeds: 4);
        var index = ReportWriter.Write(run);
        var expected = SampleRun.TrialRows(run)
            .Where(r => r["regularizer"] == "l2" && CsvFormat.ParseNumber(r["best_val_loss"]) < 0.35)
            .OrderByDescending(r => CsvFormat.ParseNumber(r["best_val_loss"]))
            .Select(r => r["trial_id"]).ToList();
        Assert.InRange(expected.Count, 2, 99);

        var dom = ChromiumPage.Dump(directory, index, "#sort=best%20val%20loss:desc&regularizer=l2&best%20val%20loss=%3C0.35");

        var body = dom[dom.IndexOf("<table id=\"trials\"", StringComparison.Ordinal)..];
        body = body[..body.IndexOf("</table>", StringComparison.Ordinal)];
        var shown = Regex.Matches(body, "<tr[^>]*data-trial=\"\\d+\"><td class=\"num\">\\d+</td><td><code>([^<]+)</code>").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(expected, shown);
        Assert.Contains($"data-rows=\"{expected.Count}\"", body);
        Assert.Contains($"{expected.Count} of 240 trials match", dom);

        var all = ChromiumPage.Dump(directory, index);
        Assert.Contains("240 trials, page 1 of 3", all);
        Assert.Contains("data-rows=\"240\"", all);
    }

    [Fact]
    public void Packed_curves_come_back_within_a_65534th_of_the_cells_range_and_nan_stays_missing()
    {
        double[] train = [0.69, 0.41, 0.3, double.NaN];
        double[] validation = [0.6, 0.31234, 0.4, double.PositiveInfinity];

        var (offset, scale, packed) = ReportViews.Pack([train, validation]);

        var bytes = Convert.FromBase64String(packed);
        Assert.Equal(16, bytes.Length);
        var values = Enumerable.Range(0, 8).Select(i => BitConverter.ToUInt16(bytes, 2 * i))
            .Select(step => step == ushort.MaxValue ? double.NaN : offset + step / (double)(ushort.MaxValue - 1) * scale).ToArray();
        Assert.Equal(0.3, offset, 12);
        Assert.Equal(0.39, scale, 12);
        foreach (var (expected, actual) in train.Concat(validation).Zip(values))
        {
            if (double.IsFinite(expected))
                Assert.InRange(actual, expected - scale / 65534, expected + scale / 65534);
            else
                Assert.True(double.IsNaN(actual));
        }
    }

    /// <summary>1 model x 2 regularizers x N learning rates x seeds, 4 epochs; the floor lowest at rate 11.</summary>
    private static string ManyRates(string parent, int rates, int seeds)
    {
        var folder = Path.Combine(parent, "many-rates");
        using var run = RunFolder.Open(folder);
        for (var r = 1; r <= rates; r++)
        {
            var rate = r / 10000.0;
            foreach (var regularizer in new[] { "none", "l2" })
            {
                for (var seed = 1; seed <= seeds; seed++)
                {
                    var label = rate.ToString(CultureInfo.InvariantCulture);
                    var trial = new TrialSpec($"r{r}-{regularizer}-s{seed}", "many-rates", "baseline", regularizer, $"adam-lr{label}", seed,
                        new ModelSpec([16]), RegularizerSpec.None, new OptimizerSpec("adam", rate), 4, 512, InputLayer.Sparse, new DatasetSpec("imdb", 10000));
                    var floor = 0.3 + 0.01 * Math.Abs(r - 11) + 0.001 * seed + (regularizer == "l2" ? 0.005 : 0);
                    var epochs = Enumerable.Range(1, 4).Select(e => new EpochMetrics(e, 0.6 / e, 0, floor + 0.02 * (e - 2) * (e - 2), 0.8, 0.85, 0.1)).ToList();
                    foreach (var epoch in epochs)
                        run.AppendEpoch(trial, epoch);
                    run.AppendTrial(trial, TrialSummary.From(TrialStatus.Completed, epochs, 0.4));
                }
            }
        }
        return folder;
    }

    [GeneratedRegex("<rect [^>]*data-row=\"(?<row>\\d+)\" data-col=\"(?<col>\\d+)\" data-value=\"(?<value>[^\"]*)\"")]
    private static partial Regex CellPattern();
}

/// <summary>Headless Chromium on a report page: the DOM after its script ran.</summary>
internal static class ChromiumPage
{
    public static string Dump(TempDirectory directory, string index, string hash = "")
    {
        var executable = ChildProcess.FindExecutable("chromium", "chromium-browser");
        if (executable is null)
            Assert.Fail("Chromium is not installed; these tests open the report in it. Install it with: apt-get install chromium (scripts/test.sh does)");
        string[] flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,2000",
            "--user-data-dir=" + directory.Combine("chromium-profile-" + Guid.NewGuid().ToString("N"))];
        var result = ChildProcess.Run(executable, [.. flags, "--dump-dom", new Uri(index).AbsoluteUri + hash], timeout: TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, $"Chromium exited with {result.ExitCode}: {result.Error}");
        Assert.Contains("data-views=\"ready\"", result.Output);
        return result.Output;
    }
}
