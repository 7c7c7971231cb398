using System.Globalization;
using System.Text.RegularExpressions;
using GridSweep.Coordinator.Reports;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Files;
using GridSweep.TrainerNode.Models;
using GridSweep.TestKit;
using SkiaSharp;

namespace GridSweep.Coordinator.Tests.Reports;

public sealed partial class ReportWriterSpecs
{
    private static readonly string[] ExpectedFiles =
    [
        "grid.png", "heatmap-best-val-loss.png", "index.html",
        "loss-model-sizes.png", "loss-regularizers-baseline.png", "loss-regularizers-smaller.png", "metric-accuracy.png",
    ];

    [Fact]
    public void Writes_every_figure_and_the_index_into_the_report_folder()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);

        var index = ReportWriter.Write(run);

        Assert.Equal(Path.Combine(run, "report", "index.html"), index);
        Assert.Equal(ExpectedFiles, Directory.GetFiles(Path.Combine(run, "report")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_figure_is_a_png_of_its_size_with_curves_and_lettering_on_it()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);
        ReportWriter.Write(run);

        foreach (var file in Directory.GetFiles(Path.Combine(run, "report"), "*.png"))
        {
            using var bitmap = SKBitmap.Decode(file);
            Assert.True(bitmap is not null, $"{file} is not a PNG that SkiaSharp can decode");
            var name = Path.GetFileName(file);
            if (name == "grid.png")
            {
                Assert.True(bitmap.Width >= ReportFigures.Width && bitmap.Height >= ReportFigures.Height, $"{name} is {bitmap.Width}x{bitmap.Height}");
            }
            else
            {
                Assert.Equal((ReportFigures.Width, ReportFigures.Height), (bitmap.Width, bitmap.Height));
            }
            Assert.True(SampleRun.DistinctColors(bitmap) >= 20, $"{name} has only {SampleRun.DistinctColors(bitmap)} colours: blank?");
            // The title: dark text in the top band, which stays blank when no font could be loaded.
            var lettering = SampleRun.PixelsNear(bitmap, SKColors.Black, top: 0, bottom: 45);
            Assert.True(lettering > 100, $"{name}: {lettering} dark pixels in the title band; the title is missing");
        }
    }

    [Fact]
    public void The_loss_figures_draw_one_colour_per_model()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);
        ReportWriter.Write(run);

        using var sizes = SKBitmap.Decode(Path.Combine(run, "report", "loss-model-sizes.png"));
        // Category10's first two colours: baseline blue, smaller orange.
        Assert.True(SampleRun.PixelsNear(sizes, SKColor.Parse("#1f77b4")) > 500, "no blue baseline curve");
        Assert.True(SampleRun.PixelsNear(sizes, SKColor.Parse("#ff7f0e")) > 500, "no orange smaller curve");
    }

    [Fact]
    public void The_trial_table_ranks_every_trial_by_best_validation_loss_from_trials_csv()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);
        var html = File.ReadAllText(ReportWriter.Write(run));

        var expected = SampleRun.TrialRows(run)
            .OrderBy(row => double.IsNaN(CsvFormat.ParseNumber(row["best_val_loss"])) ? 1 : 0)
            .ThenBy(row => CsvFormat.ParseNumber(row["best_val_loss"]))
            .Select(row => row["trial_id"]).ToList();
        Assert.Equal(8, expected.Count);
        Assert.Equal(SampleRun.FailedId, expected[^1]);
        var table = html[html.IndexOf("<table id=\"trials\">", StringComparison.Ordinal)..];
        var positions = expected.Select(id => table.IndexOf($"<code>{id}</code>", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(-1, positions);
        Assert.Equal(positions.Order(), positions);
        foreach (var row in SampleRun.TrialRows(run).Where(r => r["status"] == "completed"))
            Assert.Contains(CsvFormat.ParseNumber(row["best_val_loss"]).ToString("0.0000", CultureInfo.InvariantCulture), table);
    }

    [Fact]
    public void The_page_shows_diverged_and_failed_trials_with_their_status_and_error()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);
        var html = File.ReadAllText(ReportWriter.Write(run));

        var diverged = RowOf(html, SampleRun.DivergedId);
        Assert.Contains("diverged", diverged);
        Assert.Contains(">nan<", diverged); // its final validation loss
        var failed = RowOf(html, SampleRun.FailedId);
        Assert.Contains("failed", failed);
        Assert.Contains("out of memory, &quot;twice&quot;", failed);
    }

    [Fact]
    public void The_heatmap_numbers_are_the_mean_best_validation_loss_over_seeds_of_finished_trials()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);
        var rows = SampleRun.TrialRows(run);
        double Mean(string model, string regularizer) => rows
            .Where(r => r["model"] == model && r["regularizer"] == regularizer && r["status"] is "completed" or "diverged")
            .Average(r => CsvFormat.ParseNumber(r["best_val_loss"]));

        var results = SweepResults.Load(run);
        var grid = results.BestValLossGrid();
        Assert.Equal(["baseline", "smaller"], results.Models);
        Assert.Equal(["none", "l2"], results.Regularizers);
        Assert.Equal(Mean("baseline", "none"), grid[0, 0], 12);
        Assert.Equal(Mean("baseline", "l2"), grid[0, 1], 12);
        Assert.Equal(Mean("smaller", "none"), grid[1, 0], 12);
        // Only the diverged seed finished in this cell: the failed one does not count.
        Assert.Equal(Mean("smaller", "l2"), grid[1, 1], 12);

        var html = File.ReadAllText(ReportWriter.Write(run));
        var table = html[html.IndexOf("<table id=\"best-val-loss\">", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("</table>", StringComparison.Ordinal)];
        var cells = CellPattern().Matches(table).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(
            new[] { Mean("baseline", "none"), Mean("baseline", "l2"), Mean("smaller", "none"), Mean("smaller", "l2") }
                .Select(v => v.ToString("0.0000", CultureInfo.InvariantCulture)),
            cells);
    }

    [Fact]
    public void Seeds_are_averaged_epoch_by_epoch_with_their_band_and_the_best_epoch_is_that_of_the_mean()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);

        var curve = Assert.Single(SweepResults.Load(run).CurvesOf("baseline", "l2"));

        Assert.Equal(2, curve.SeedCount);
        Assert.Equal([1, 2, 3, 4, 5, 6], curve.Epochs);
        // Seed 1 is lowest at epoch 3 (0.280), seed 2 at epoch 5 (0.286); at epoch 4 they are 0.300 and 0.306,
        // their mean 0.303 is the mean curve's lowest, and the band spans the two.
        Assert.Equal([3, 5], SampleRun.TrialRows(run).Where(r => r["trial_id"] is "base-l2-s1" or "base-l2-s2").Select(r => int.Parse(r["best_epoch"])));
        Assert.Equal(0.303, curve.ValLoss[3], 9);
        Assert.Equal((0.300, 0.306), (Math.Round(curve.ValLossLow[3], 9), Math.Round(curve.ValLossHigh[3], 9)));
        Assert.Equal(4, curve.BestEpoch);
        Assert.Equal(0.303, curve.BestValLoss, 9);
    }

    [Fact]
    public void Epoch_rows_of_a_trial_that_come_apart_in_the_file_are_still_averaged_once_per_epoch()
    {
        using var directory = new TempDirectory();
        var run = HandWrittenRun(directory, "scattered",
            "trial_id,model,regularizer,seed,epoch,train_loss,train_penalty,val_loss,train_accuracy,val_accuracy,seconds\n" +
            "t1,baseline,none,1,1,0.5,0,0.4,0.8,0.85,1\n" +
            "t2,baseline,none,2,1,0.7,0,0.6,0.8,0.85,1\n" +
            "t1,baseline,none,1,2,0.3,0,0.45,0.9,0.84,1\n" +
            "t1,baseline,none,1,2,0.3,0,0.5,0.9,0.84,1\n" +
            "t2,baseline,none,2,2,0.3,0,0.7,0.9,0.84,1\n",
            "trial_id,model,regularizer,seed,status,best_epoch,best_val_loss,final_val_loss,final_gap,best_val_accuracy,seconds,optimizer,error\n" +
            "t1,baseline,none,1,completed,1,0.4,0.5,0.2,0.85,2,adam,\n" +
            "t2,baseline,none,2,completed,1,0.6,0.7,0.4,0.85,2,adam,\n");

        var curve = Assert.Single(SweepResults.Load(run).Curves);

        // The last row of t1's epoch 2 counts (0.5), once.
        Assert.Equal([0.5, 0.6], curve.ValLoss.Select(v => Math.Round(v, 9)));
        Assert.Equal([0.4, 0.5], curve.ValLossLow);
        Assert.Equal([0.6, 0.7], curve.ValLossHigh);
    }

    [Fact]
    public void The_page_is_self_contained_and_every_image_names_an_existing_file_of_its_stated_size()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);
        var index = ReportWriter.Write(run);
        var html = File.ReadAllText(index);

        Assert.Contains("<title>sample-sweep", html);
        Assert.Contains("<h1>sample-sweep</h1>", html);
        Assert.Contains("<style>", html);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("<link", html);
        var images = ImagePattern().Matches(html).ToList();
        Assert.Equal(6, images.Count);
        foreach (var image in images)
        {
            var (source, alt, width, height) = (image.Groups["src"].Value, image.Groups["alt"].Value, int.Parse(image.Groups["w"].Value), int.Parse(image.Groups["h"].Value));
            Assert.False(string.IsNullOrWhiteSpace(alt), $"{source} has no alt text");
            using var bitmap = SKBitmap.Decode(Path.Combine(Path.GetDirectoryName(index)!, source));
            Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
        }
    }

    [Fact]
    public void Writing_again_replaces_the_whole_report_and_leaves_no_staging_folder()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);
        ReportWriter.Write(run);
        File.WriteAllText(Path.Combine(run, "report", "stale.png"), "from an older grid");

        ReportWriter.Write(run);

        Assert.False(File.Exists(Path.Combine(run, "report", "stale.png")));
        // The run folder's own files (the ledger, its exports and their mark, the lock) stay; the report adds only report/.
        Assert.Equal([".exports.json", ".lock", "epochs.csv", "ledger.db", "report", "trials.csv"],
            Directory.EnumerateFileSystemEntries(run).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_missing_folder_is_named_in_the_error_and_nothing_is_created()
    {
        using var directory = new TempDirectory();
        var missing = Path.Combine(directory.Path, "no-such-run");

        var error = Assert.Throws<ReportException>(() => ReportWriter.Write(missing));

        Assert.Contains(missing, error.Message);
        Assert.Contains("does not exist", error.Message);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public void A_folder_without_trials_csv_is_not_taken_for_a_run_folder()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);
        File.Delete(Path.Combine(run, "trials.csv"));

        var error = Assert.Throws<ReportException>(() => ReportWriter.Write(run));

        Assert.Contains(Path.Combine(run, "trials.csv"), error.Message);
        Assert.False(Directory.Exists(Path.Combine(run, "report")));
    }

    [Fact]
    public void A_folder_whose_trials_all_failed_has_nothing_to_plot_and_says_so()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);
        var trials = Path.Combine(run, "trials.csv");
        File.WriteAllLines(trials, File.ReadAllLines(trials).Select((line, i) => i == 0 ? line : line.Replace(",completed,", ",failed,").Replace(",diverged,", ",failed,")));

        var error = Assert.Throws<ReportException>(() => ReportWriter.Write(run));

        Assert.Contains(trials, error.Message);
        Assert.Contains("no finished", error.Message);
        Assert.Contains("8 failed", error.Message);
    }

    [Fact]
    public void A_number_that_is_not_one_is_reported_with_file_trial_and_column()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);
        var trials = Path.Combine(run, "trials.csv");
        File.WriteAllText(trials, File.ReadAllText(trials).Replace("base-none-s1,baseline,none,1,completed,2,", "base-none-s1,baseline,none,1,completed,two,"));

        var error = Assert.Throws<ReportException>(() => ReportWriter.Write(run));

        Assert.Contains(trials, error.Message);
        Assert.Contains("base-none-s1", error.Message);
        Assert.Contains("best_epoch 'two'", error.Message);
    }

    [Fact]
    public void Names_from_the_sweep_file_become_safe_file_names()
    {
        Assert.Equal("big-net_v2", ReportFigures.FileSafe("big net_v2"));
        Assert.Equal("a-b", ReportFigures.FileSafe("a/b"));
        Assert.Equal("unnamed", ReportFigures.FileSafe(""));
    }

    private static string RowOf(string html, string trialId)
    {
        var at = html.IndexOf($"<code>{trialId}</code>", StringComparison.Ordinal);
        Assert.True(at >= 0, $"{trialId} is not in the page");
        var start = html.LastIndexOf("<tr", at, StringComparison.Ordinal);
        return html[start..html.IndexOf("</tr>", at, StringComparison.Ordinal)];
    }

    [Fact]
    public void A_classification_report_shows_accuracy_and_leaves_out_the_axes_it_does_not_sweep()
    {
        using var directory = new TempDirectory();
        var html = File.ReadAllText(ReportWriter.Write(SampleRun.Create(directory.Path)));
        Assert.Contains("<th class=\"num\">best val acc</th>", html);
        Assert.DoesNotContain("best val MAE", html);
        Assert.DoesNotContain("<th class=\"num\">learning rate</th>", html);
        Assert.DoesNotContain("<th class=\"num\">batch size</th>", html);
        Assert.DoesNotContain("stopped epoch", html);
        Assert.DoesNotContain("early stopping", html);
        Assert.Contains("binary cross-entropy", html);
        Assert.Contains("Validation accuracy by epoch", html);
    }

    [Fact]
    public void A_regression_report_draws_the_mae_and_shows_the_swept_learning_rate()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.CreateRegression(directory.Path);
        var html = File.ReadAllText(ReportWriter.Write(run));

        var files = Directory.GetFiles(Path.Combine(run, "report")).Select(Path.GetFileName).ToList();
        Assert.Contains("metric-mae.png", files);
        Assert.DoesNotContain("metric-accuracy.png", files);
        Assert.Contains("Validation mean absolute error by epoch", html);
        Assert.Contains("<th class=\"num\">best val MAE</th>", html);
        Assert.DoesNotContain("best val acc", html);
        Assert.Contains("<th class=\"num\">learning rate</th>", html);
        Assert.DoesNotContain("<th class=\"num\">batch size</th>", html);
        Assert.Contains("mean squared error", html);
        // reg-1 (baseline, 0.001) bottoms out at 2.25 MAE; its row shows it.
        Assert.Matches(@"<code>reg-1</code>.*<td class=""num"">0\.001</td>.*<td class=""num"">2\.2500</td>", html);
        using var figure = SKBitmap.Decode(Path.Combine(run, "report", "metric-mae.png"));
        Assert.Equal((ReportFigures.Width, ReportFigures.Height), (figure.Width, figure.Height));
        Assert.True(SampleRun.DistinctColors(figure) > 20, "the MAE figure has curves on it");
    }

    [Fact]
    public void The_curves_carry_the_tasks_metric_averaged_over_seeds()
    {
        using var directory = new TempDirectory();
        var classification = SweepResults.Load(SampleRun.Create(directory.Path));
        var baseline = Assert.Single(classification.Curves, c => c.Model == "baseline" && c.Regularizer == "none");
        Assert.Equal(Enumerable.Range(1, 6).Select(e => Math.Round(0.8 + 0.01 * e, 9)), baseline.ValMetric.Select(v => Math.Round(v, 9)));

        var regression = SweepResults.Load(SampleRun.CreateRegression(directory.Path));
        Assert.True(regression.IsRegression);
        var curve = Assert.Single(regression.Curves, c => c.Model == "bigger" && c.Variant == "adam-lr0.01");
        Assert.Equal(Enumerable.Range(1, 5).Select(e => SampleRun.RegressionMae(4, e)), curve.ValMetric);
        Assert.Equal(2.0 + 4 / 4.0, regression.Trials.Single(t => t.TrialId == "reg-4").BestValMae);
    }

    [Fact]
    public void Cells_that_differ_only_in_activation_are_separate_curves_not_averaged_together()
    {
        using var directory = new TempDirectory();
        var run = HandWrittenRun(directory, "activations",
            "trial_id,model,regularizer,seed,epoch,train_loss,train_penalty,val_loss,train_accuracy,val_accuracy,seconds,optimizer,learning_rate,activation,batch_size,epochs,task,train_mae,val_mae\n" +
            "r1,baseline,none,1,1,0.5,0,0.4,0.8,0.85,1,adam,0.001,relu,128,1,multiclass,,\n" +
            "t1,baseline,none,1,1,0.7,0,0.6,0.7,0.75,1,adam,0.001,tanh,128,1,multiclass,,\n",
            "trial_id,model,regularizer,seed,status,best_epoch,best_val_loss,final_val_loss,final_gap,best_val_accuracy,seconds,optimizer,error,learning_rate,activation,batch_size,epochs,task,best_val_mae\n" +
            "r1,baseline,none,1,completed,1,0.4,0.4,-0.1,0.85,1,adam,,0.001,relu,128,1,multiclass,\n" +
            "t1,baseline,none,1,completed,1,0.6,0.6,-0.1,0.75,1,adam,,0.001,tanh,128,1,multiclass,\n");

        var results = SweepResults.Load(run);
        Assert.Equal(["adam, activation relu", "adam, activation tanh"], results.Variants);
        Assert.Equal([0.4], Assert.Single(results.Curves, c => c.Variant == "adam, activation relu").ValLoss);
        Assert.Equal([0.6], Assert.Single(results.Curves, c => c.Variant == "adam, activation tanh").ValLoss);
    }

    [Fact]
    public void A_stopped_trial_shows_its_stopped_epoch_and_reason_and_cells_differing_in_early_stopping_stay_apart()
    {
        using var directory = new TempDirectory();
        var folder = Path.Combine(directory.Path, "stopping");
        const string reason = "val_loss did not improve by more than 0 for 2 epochs after epoch 2 (best 0.3)";
        using (var run = RunFolder.Open(folder))
        {
            var off = new TrialSpec("off-1", "stopping", "baseline", "none", "adam", 1, new ModelSpec([16]), RegularizerSpec.None,
                new OptimizerSpec("adam", 0.001), 6, 512, InputLayer.Sparse, new DatasetSpec("imdb", 10000)) { EarlyStoppingLabel = "off" };
            var patient = off with { Id = "patient-1", EarlyStopping = new EarlyStoppingSpec(Patience: 2), EarlyStoppingLabel = "patient" };
            double[] losses = [0.4, 0.3, 0.35, 0.38, 0.42, 0.47];
            var epochs = losses.Select((loss, i) => new EpochMetrics(i + 1, 0.5 / (i + 1), 0, loss, 0.8, 0.85, 1)).ToList();
            foreach (var epoch in epochs)
                run.AppendEpoch(off, epoch);
            run.AppendTrial(off, TrialSummary.From(TrialStatus.Completed, epochs, 6));
            foreach (var epoch in epochs.Take(4))
                run.AppendEpoch(patient, epoch);
            run.AppendTrial(patient, TrialSummary.From(TrialStatus.Completed, epochs[..4], 4) with { StoppedEpoch = 4, StopReason = reason });
        }

        var results = SweepResults.Load(folder);
        Assert.Equal(["adam, early stopping off", "adam, early stopping patient"], results.Variants);
        Assert.Equal(4, Assert.Single(results.Curves, c => c.Variant == "adam, early stopping patient").Epochs.Length);
        Assert.Equal((4, reason), (results.Trials.Single(t => t.TrialId == "patient-1").StoppedEpoch, results.Trials.Single(t => t.TrialId == "patient-1").StopReason));

        var html = File.ReadAllText(ReportWriter.Write(folder));
        Assert.Contains("<th>early stopping</th>", html);
        Assert.Contains("<th class=\"num\">stopped epoch</th>", html);
        Assert.Contains($"<span title=\"{reason}\">4</span>", RowOf(html, "patient-1"));
        Assert.Contains("1 trial(s) stopped early", html);
    }

    [Fact]
    public void A_run_folder_written_before_the_new_columns_still_reports_with_accuracy()
    {
        using var directory = new TempDirectory();
        var run = HandWrittenRun(directory, "old-run",
            "trial_id,model,regularizer,seed,epoch,train_loss,train_penalty,val_loss,train_accuracy,val_accuracy,seconds\n" +
            "t1,baseline,none,1,1,0.5,0,0.4,0.8,0.85,1\n" +
            "t1,baseline,none,1,2,0.3,0,0.45,0.9,0.84,1\n",
            "trial_id,model,regularizer,seed,status,best_epoch,best_val_loss,final_val_loss,final_gap,best_val_accuracy,seconds,optimizer,error\n" +
            "t1,baseline,none,1,completed,1,0.4,0.45,0.15,0.85,2,adam,\n");

        var results = SweepResults.Load(run);
        Assert.Equal("binary", results.Task);
        Assert.Equal([0.85, 0.84], Assert.Single(results.Curves).ValMetric);
        var html = File.ReadAllText(ReportWriter.Write(run));
        Assert.Contains("<th class=\"num\">best val acc</th>", html);
        Assert.Contains("<td class=\"num\">0.8500</td>", html);
    }

    [Fact]
    public void The_trial_table_links_each_kept_model_and_no_column_appears_without_one()
    {
        using var directory = new TempDirectory();
        var run = SampleRun.Create(directory.Path);
        var withoutModels = File.ReadAllText(ReportWriter.Write(run));
        var kept = SampleRun.CompletedIds[0];
        using (var weights = TorchSharp.torch.ones(2, 3))
            new KeptModelFiles(kept, SafeTensorsFile.ToBytes([("0.weight", weights)]), "{}"u8.ToArray()).WriteTo(run);

        var html = File.ReadAllText(ReportWriter.Write(run));

        Assert.DoesNotContain("<th>kept model</th>", withoutModels);
        Assert.Contains("<th>kept model</th>", html);
        Assert.Contains($"<a href=\"../models/{kept}.safetensors\">weights</a> <a href=\"../models/{kept}.json\">json</a>", html);
        Assert.Single(Regex.Matches(html, "\\.\\./models/[^\"]+\\.safetensors"));
        Assert.True(File.Exists(Path.Combine(run, "report", "..", "models", kept + ".safetensors")));
    }

    /// <summary>A run folder whose two files are the given text, for layouts the sample runs do not write.</summary>
    private static string HandWrittenRun(TempDirectory directory, string name, string epochsCsv, string trialsCsv)
    {
        var run = Path.Combine(directory.Path, name);
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, RunFolder.EpochsFile), epochsCsv);
        File.WriteAllText(Path.Combine(run, RunFolder.TrialsFile), trialsCsv);
        return run;
    }

    [GeneratedRegex("<td class=\"num\">([^<]*)</td>")]
    private static partial Regex CellPattern();

    [GeneratedRegex("<img src=\"(?<src>[^\"]+)\" alt=\"(?<alt>[^\"]*)\" width=\"(?<w>\\d+)\" height=\"(?<h>\\d+)\">")]
    private static partial Regex ImagePattern();
}
